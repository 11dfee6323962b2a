package main

import (
	"net/http"
	"testing"
	"time"
)

// Two replicas with -subset 1 over two instances: once each knows the
// other from the registry, each talks to one instance, a different one.
func TestFleetReplicasSplitTheirSubsets(t *testing.T) {
	splitSubsets(t, newFleet(t))
}

// The same over an etcd that takes TLS with client certificates and etcd's
// users only: the mocks register, the replicas register and watch each
// other, and resolve the instances, all with the registry flags' TLS
// files and password.
func TestFleetOverASecureRegistry(t *testing.T) {
	splitSubsets(t, newSecureFleet(t))
}

func splitSubsets(t *testing.T, f *fleet) {
	m1, m2 := f.mock("m-1", "", "c1"), f.mock("m-2", "", "c1")
	b0 := f.bff("-cluster", "c1", "-instance-id", "bff-0", "-subset", "1")
	b1 := f.bff("-cluster", "c1", "-instance-id", "bff-1", "-subset", "1")
	f.waitKeys("bff-0", true, 10*time.Second)
	f.waitKeys("bff-1", true, 10*time.Second)
	// Which instances one replica's requests reach.
	reach := func(b *bffProc) map[string]int {
		before := counts(t, m1, m2)
		for range 10 {
			if code, degraded := b.feed(t, ""); code != http.StatusOK || len(degraded) > 0 {
				t.Fatalf("feed: %d %v", code, degraded)
			}
		}
		return delta(t, before, m1, m2)
	}
	one := func(d map[string]int) string {
		switch {
		case d["m-1"] > 0 && d["m-2"] == 0:
			return "m-1"
		case d["m-2"] > 0 && d["m-1"] == 0:
			return "m-2"
		}
		return ""
	}
	var (
		got0, got1 string
		d0, d1     map[string]int // the last tries' calls, for a failure to show
	)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last try: bff-0 reached %v, bff-1 reached %v", d0, d1)
		}
	})
	eventually(t, 20*time.Second, "each replica on one instance, not the same", func() bool {
		d0, d1 = reach(b0), reach(b1)
		got0, got1 = one(d0), one(d1)
		return got0 != "" && got1 != "" && got0 != got1
	})
	t.Logf("bff-0 → %s, bff-1 → %s", got0, got1)
}
