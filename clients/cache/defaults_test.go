package cache

import (
	"testing"
	"time"
)

// Unset options are the design's (docs/ARCHITECTURE.md, "Entity caches"):
// expiry jittered ±10%, refreshed when read in the last fifth of its
// freshness, at most two refreshes at once, each bounded by a second. The
// other tests set these themselves, so only this one reads the defaults.
func TestUnsetOptionsAreTheDesigns(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Jitter != 0.1 || o.RefreshAhead != 0.2 || o.MaxRefreshes != 2 || o.Timeout != time.Second || o.Now == nil {
		t.Errorf("defaults: jitter %v, refresh ahead %v, refreshes %d, timeout %v; want 0.1, 0.2, 2, 1s", o.Jitter, o.RefreshAhead, o.MaxRefreshes, o.Timeout)
	}
	// Negative turns jitter and refreshing ahead off, as a test wants.
	if o := (Options{Jitter: -1, RefreshAhead: -1}).withDefaults(); o.Jitter != -1 || o.RefreshAhead != -1 {
		t.Errorf("off: jitter %v, refresh ahead %v", o.Jitter, o.RefreshAhead)
	}
}
