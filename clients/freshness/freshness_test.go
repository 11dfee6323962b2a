package freshness

import (
	"context"
	"testing"
)

func TestStaleReachesTheWatchingStepOnly(t *testing.T) {
	Stale(context.Background()) // nobody watching: no effect, no panic
	ctx, m := Watch(context.Background())
	other, o := Watch(context.Background())
	if m.Stale() || o.Stale() {
		t.Fatal("fresh marks report stale")
	}
	Stale(ctx)
	if !m.Stale() {
		t.Fatal("a stale read under the watched context was not reported")
	}
	if o.Stale() {
		t.Fatal("a stale read reached another step's mark")
	}
	_ = other
	var none *Mark
	if none.Stale() {
		t.Fatal("nil mark reports stale")
	}
}
