package main

import (
	"net/http"
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
	// The canary connects in the background: wait until its lane is live.
	eventually(t, 10*time.Second, "canary traffic reaching the canary", func() bool {
		before := canary.calls(t)
		bff.feed(t, "canary")
		return canary.calls(t) > before
	})
	if d := send("canary"); d["canary-1"] != 5*n || d["base-1"]+d["base-2"]+d["far-1"] != 0 {
		t.Errorf("canary: calls %v; want all %d at the canary", d, 5*n)
	}
	if d := send("blue"); d["canary-1"] != 0 || d["base-1"]+d["base-2"] != 5*n {
		t.Errorf("unknown color: calls %v; want all %d at the c1 baseline", d, 5*n)
	}

	canary.setServing(t, false)
	eventually(t, 10*time.Second, "an unhealthy canary left alone", func() bool {
		before := canary.calls(t)
		bff.feed(t, "canary")
		return canary.calls(t) == before
	})
	if d := send("canary"); d["canary-1"] != 0 || d["base-1"]+d["base-2"] != 5*n {
		t.Errorf("canary unhealthy: calls %v; want all %d at the c1 baseline", d, 5*n)
	}
	canary.setServing(t, true)
	eventually(t, 10*time.Second, "a healthy canary again", func() bool {
		before := canary.calls(t)
		bff.feed(t, "canary")
		return canary.calls(t) > before
	})
}
