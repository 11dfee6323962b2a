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
	got := Instances("bff-1", peers, 4, all)
	count := map[string]int{}
	for _, in := range got {
		count[in.Color+"/"+in.Cluster]++
	}
	if count["/c1"] != 4 || count["/c2"] != 4 || count["canary/c1"] != 1 || len(got) != 9 {
		t.Errorf("kept %v (%d in all), want 4 of each baseline cluster and the canary", count, len(got))
	}
	if n := len(Instances("bff-1", peers, 0, all)); n != len(all) {
		t.Errorf("k = 0 kept %d of %d", n, len(all))
	}
	// The replicas spread over the groups rather than all taking the same.
	used := map[string]bool{}
	for _, self := range peers {
		for _, in := range Instances(self, peers, 4, all) {
			used[in.Addr] = true
		}
	}
	if len(used) < 2*len(got) {
		t.Errorf("the replicas together use %d of %d instances", len(used), len(all))
	}
}
