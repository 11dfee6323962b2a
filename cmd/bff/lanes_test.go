package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Lanes, counted at the mocks: canary traffic reaches only the canary
// instance, uncolored traffic never does, an unknown color is served by the
// baseline, and a canary instance gone unhealthy sends its lane to the
// baseline. The bff prefers its own cluster, so c2 sees nothing while c1
// is healthy.
func TestFleetLanes(t *testing.T) {
	f := newFleet(t)
	base1, base2 := f.mock("base-1", "", "c1"), f.mock("base-2", "", "c1")
	far := f.mock("far-1", "", "c2")
	canary := f.mock("canary-1", "canary", "c1")
	all := []*mockProc{base1, base2, far, canary}
	bff := f.bff("-cluster", "c1", "-instance-id", "bff-0")
	eventually(t, 20*time.Second, "the bff serving from the registry", func() bool {
		code, degraded := bff.feed(t, "")
		return code == http.StatusOK && len(degraded) == 0
	})

	// A web feed makes one call to each of five services, each through
	// its own channel, with its own connection to and health watch on
	// every instance.
	const perFeed = 5
	// landed sends one feed in color and reports whether it succeeded with
	// exactly want of its calls at the canary: the lane state of all five
	// channels, where one call reaching the canary shows it for one.
	landed := func(color string, want int) bool {
		before := canary.calls(t)
		code, degraded := bff.feed(t, color)
		return code == http.StatusOK && len(degraded) == 0 && canary.calls(t)-before == want
	}
	const n = 20
	send := func(color string) map[string]int {
		t.Helper()
		before := counts(t, all...)
		for range n {
			if code, degraded := bff.feed(t, color); code != http.StatusOK || len(degraded) > 0 {
				t.Fatalf("color %q: %d %v", color, code, degraded)
			}
		}
		return delta(t, before, all...)
	}

	if d := send(""); d["canary-1"] != 0 || d["far-1"] != 0 || d["base-1"] == 0 || d["base-2"] == 0 {
		t.Errorf("uncolored: calls %v; want both c1 baselines, never the canary or c2", d)
	}
	// The canary connects in the background, each channel on its own:
	// wait until its lane is live in all of them. Until then a canary call
	// goes to the baseline, as it should, and the count below would be
	// short.
	eventually(t, 10*time.Second, "a whole canary feed reaching the canary", func() bool {
		return landed("canary", perFeed)
	})
	if d := send("canary"); d["canary-1"] != perFeed*n || d["base-1"]+d["base-2"]+d["far-1"] != 0 {
		t.Errorf("canary: calls %v; want all %d at the canary", d, perFeed*n)
	}
	if d := send("blue"); d["canary-1"] != 0 || d["base-1"]+d["base-2"] != perFeed*n {
		t.Errorf("unknown color: calls %v; want all %d at the c1 baseline", d, perFeed*n)
	}

	// Each channel's health watch hears NOT_SERVING on its own: wait until
	// a whole canary feed is served without the canary (a failed feed that
	// made no call proves nothing).
	canary.setServing(t, false)
	eventually(t, 10*time.Second, "an unhealthy canary left alone", func() bool {
		return landed("canary", 0)
	})
	if d := send("canary"); d["canary-1"] != 0 || d["base-1"]+d["base-2"] != perFeed*n {
		t.Errorf("canary unhealthy: calls %v; want all %d at the c1 baseline", d, perFeed*n)
	}
	canary.setServing(t, true)
	eventually(t, 10*time.Second, "a healthy canary again", func() bool {
		return landed("canary", perFeed)
	})
}

// A replica whose registry lists its services in a lane only is not ready:
// every uncolored call would fail, and the lane's own traffic does not
// keep a replica in rotation. /readyz names the services it waits for; a
// baseline instance makes it ready.
func TestFleetIsNotReadyWithLaneInstancesOnly(t *testing.T) {
	f := newFleet(t)
	f.mock("canary-1", "canary", "")
	bff := f.start()
	eventually(t, 20*time.Second, "a canary feed served from the lane", func() bool {
		code, degraded := bff.feed(t, "canary")
		return code == http.StatusOK && len(degraded) == 0
	})
	code, body := get(t, bff.admin+"/readyz")
	if want := "lists no baseline instance of account, archive, feed, relation, reply, stat yet"; code != http.StatusServiceUnavailable || !strings.Contains(body, want) {
		t.Errorf("/readyz with canary instances only: %d %s, want 503 naming %q", code, body, want)
	}
	if code, _ := bff.feed(t, ""); code != http.StatusServiceUnavailable {
		t.Errorf("an uncolored feed with canary instances only: %d, want 503", code)
	}
	f.mock("base-1", "", "")
	waitReady(t, bff.admin)
	eventually(t, 20*time.Second, "an uncolored feed once a baseline instance registered", func() bool {
		code, degraded := bff.feed(t, "")
		return code == http.StatusOK && len(degraded) == 0
	})
}
