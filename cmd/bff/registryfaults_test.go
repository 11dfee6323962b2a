package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Under a steady stream of scene requests: SIGTERM of an instance removes
// it from the registry at once, kill -9 within the lease TTL, and etcd
// stopped for 5 s then restarted leaves the bff serving from its last list,
// then picking up an instance registered after the restart. No request
// fails or degrades throughout.
func TestFleetSurvivesInstanceAndRegistryFaults(t *testing.T) {
	f := newFleet(t)
	a, b := f.mock("inst-a", "", "c1"), f.mock("inst-b", "", "c1")
	c, d := f.mock("inst-c", "", "c1"), f.mock("inst-d", "", "c1")
	bff := f.bff("-cluster", "c1", "-instance-id", "bff-0")
	eventually(t, 20*time.Second, "every instance serving", func() bool {
		bff.feed(t, "")
		return a.calls(t) > 0 && b.calls(t) > 0 && c.calls(t) > 0 && d.calls(t) > 0
	})
	s := startStream(t, bff, 4, 20*time.Millisecond)
	time.Sleep(time.Second)

	a.stop(t)
	t.Logf("SIGTERM: inst-a's keys gone %v after it exited", f.waitKeys("inst-a", false, time.Second))
	time.Sleep(time.Second)

	killed := time.Now()
	b.signal(9)
	f.waitKeys("inst-b", false, 11*time.Second)
	t.Logf("kill -9: inst-b's keys gone %v after the kill (lease TTL at most 10 s)", time.Since(killed).Round(time.Millisecond))

	f.etcd.Stop()
	time.Sleep(5 * time.Second)
	// Serving on, from a list etcd no longer updates: the metrics say so
	// at the next revision check (every 5 s, each given 3 s to answer).
	eventually(t, 15*time.Second, "etcd down: stat unreachable on /metrics, with its last 2 instances", func() bool {
		return registrySays(t, bff, `bff_registry_reachable{service="stat"} 0`, `bff_registry_instances{service="stat"} 2`)
	})
	f.etcd.Restart()
	late := f.mock("inst-late", "", "c1")
	eventually(t, 20*time.Second, "an instance registered after the restart getting calls", func() bool {
		return late.calls(t) > 0
	})
	time.Sleep(time.Second)
	if bad := s.failed(t); bad != 0 {
		t.Errorf("%d scene requests failed or degraded", bad)
	}
	eventually(t, 15*time.Second, "etcd back: stat reachable on /metrics, with 3 instances", func() bool {
		return registrySays(t, bff, `bff_registry_reachable{service="stat"} 1`, `bff_registry_instances{service="stat"} 3`)
	})
}

// registrySays reports whether b's /metrics has every one of series.
func registrySays(t *testing.T, b *bffProc, series ...string) bool {
	_, metrics := get(t, b.admin+"/metrics")
	lines := strings.Split(metrics, "\n")
	for _, s := range series {
		if !slices.Contains(lines, s) {
			return false
		}
	}
	return true
}

// Multi-cluster: with c1's instances stopped, the c1 bff serves from c2
// without a failed request; when c1 is back, traffic returns to it.
func TestFleetFailsOverToAnotherClusterAndBack(t *testing.T) {
	f := newFleet(t)
	c1a, c1b, c2 := f.mock("c1-a", "", "c1"), f.mock("c1-b", "", "c1"), f.mock("c2-a", "", "c2")
	bff := f.bff("-cluster", "c1", "-instance-id", "bff-0")
	eventually(t, 20*time.Second, "c1 serving", func() bool {
		bff.feed(t, "")
		return c1a.calls(t) > 0 && c1b.calls(t) > 0
	})
	s := startStream(t, bff, 4, 20*time.Millisecond)
	window := func(ms ...*mockProc) map[string]int {
		before := counts(t, ms...)
		time.Sleep(time.Second)
		return delta(t, before, ms...)
	}
	if w := window(c1a, c1b, c2); w["c2-a"] != 0 {
		t.Errorf("c1 healthy: c2 served %d calls, want 0 (%v)", w["c2-a"], w)
	}
	c1a.stop(t)
	c1b.stop(t)
	if w := window(c2); w["c2-a"] == 0 {
		t.Errorf("c1 down: c2 served nothing (%v)", w)
	}
	back := f.mock("c1-c", "", "c1")
	eventually(t, 20*time.Second, "traffic back in c1", func() bool {
		before := counts(t, c2, back)
		time.Sleep(300 * time.Millisecond)
		d := delta(t, before, c2, back)
		return d["c2-a"] == 0 && d["c1-c"] > 0
	})
	if bad := s.failed(t); bad != 0 {
		t.Errorf("%d scene requests failed or degraded", bad)
	}
}

// A bff that has served nothing yet serves through a registry outage that
// starts at once: its channels resolved when it started, not at their
// first call, and /readyz waited for those lists.
func TestFleetServesThroughARegistryOutageBeforeItsFirstRequest(t *testing.T) {
	f := newFleet(t)
	f.mock("inst-a", "", "c1")
	f.mock("inst-b", "", "c1")
	bff := f.bff("-cluster", "c1", "-instance-id", "bff-0", "-subset", "1")
	// Subsetting, it registers among its peers, and says so.
	eventually(t, 10*time.Second, "the replica registered on /metrics", func() bool {
		return registrySays(t, bff, `bff_registry_registered 1`, `bff_registry_registrations_total 1`)
	})
	f.etcd.Kill()
	bad := map[string]int{}
	const n = 40
	for range n {
		if code, degraded := bff.feed(t, ""); code != http.StatusOK || len(degraded) > 0 {
			bad[fmt.Sprint(code, degraded)]++
		}
	}
	if len(bad) > 0 {
		t.Errorf("with etcd killed before the first request, of %d feeds: %v", n, bad)
	}
	t.Logf("etcd killed before the first request: %d feeds, failed or degraded %v", n, bad)
}
