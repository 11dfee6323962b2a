package subset

import (
	"fmt"
	"testing"

	"mosaic/clients/instance"
)

// Each lane and cluster is subset on its own: a replica keeps K of each,
// and the whole of a group smaller than K.
func TestInstancesSubsetsEachLaneAndCluster(t *testing.T) {
	var all []instance.Instance
	for i := range 12 {
		all = append(all, instance.Instance{Addr: fmt.Sprintf("10.0.1.%d:9000", i), Cluster: "c1"})
		all = append(all, instance.Instance{Addr: fmt.Sprintf("10.0.2.%d:9000", i), Cluster: "c2"})
	}
	all = append(all, instance.Instance{Addr: "10.0.3.1:9000", Color: "canary", Cluster: "c1"})
	peers := []string{"bff-0", "bff-1", "bff-2"}
	got := Instances("bff-1", "", Peers{All: peers}, 4, all)
	count := map[string]int{}
	for _, in := range got {
		count[in.Color+"/"+in.Cluster]++
	}
	if count["/c1"] != 4 || count["/c2"] != 4 || count["canary/c1"] != 1 || len(got) != 9 {
		t.Errorf("kept %v (%d in all), want 4 of each baseline cluster and the canary", count, len(got))
	}
	if n := len(Instances("bff-1", "", Peers{All: peers}, 0, all)); n != len(all) {
		t.Errorf("k = 0 kept %d of %d", n, len(all))
	}
	// The replicas spread over the groups rather than all taking the same.
	used := map[string]bool{}
	for _, self := range peers {
		for _, in := range Instances(self, "", Peers{All: peers}, 4, all) {
			used[in.Addr] = true
		}
	}
	if len(used) < 2*len(got) {
		t.Errorf("the replicas together use %d of %d instances", len(used), len(all))
	}
}

// The replicas of a cluster load its instances evenly, however many
// replicas the other clusters have: a group in a replica's own cluster is
// matched over that cluster's replicas, who alone send it traffic. Matched
// over all 220, cluster a's 20 would load its instances 6 to 13 connections
// each, as randomly as random subsetting. Each still keeps K instances of
// the other cluster, to fail over to.
func TestInstancesBalanceAClusterOverItsOwnReplicas(t *testing.T) {
	const k = 5
	var all []instance.Instance
	for i := range 10 {
		all = append(all, instance.Instance{Addr: fmt.Sprintf("10.1.0.%d:9000", i), Cluster: "a"})
		all = append(all, instance.Instance{Addr: fmt.Sprintf("10.2.0.%d:9000", i), Cluster: "b"})
	}
	var peers Peers
	for i := range 20 {
		peers.Local = append(peers.Local, fmt.Sprintf("bff-a-%d", i))
		for j := range 10 {
			peers.All = append(peers.All, fmt.Sprintf("bff-b-%d-%d", i, j))
		}
	}
	peers.All = append(peers.All, peers.Local...)
	load := map[string]int{}
	for _, self := range peers.Local {
		kept := Instances(self, "a", peers, k, all)
		inB := 0
		for _, in := range kept {
			if in.Cluster == "a" {
				load[in.Addr]++
			} else {
				inB++
			}
		}
		if len(kept) != 2*k || inB != k {
			t.Fatalf("%s kept %d instances, %d of cluster b; want %d of each cluster", self, len(kept), inB, k)
		}
	}
	// The package's bound on max/mean for these numbers (subset.go):
	// (floor(1.05·20·5/10)+1)/(20·5/10) = 1.1.
	mean := float64(len(peers.Local)*k) / 10
	for addr, n := range load {
		if float64(n)/mean > 1.10 {
			t.Errorf("%s: %d connections from cluster a's replicas, mean %.0f: %v", addr, n, mean, load)
			break
		}
	}
}
