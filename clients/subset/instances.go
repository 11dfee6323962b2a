package subset

import (
	"slices"

	"mosaic/clients/instance"
)

// Instances returns the instances a replica connects to: the subset of K
// chosen separately in each lane and cluster, so that a replica keeps
// instances of every lane (a canary included) and of every cluster (to
// fail over to), and each group is balanced across the replicas on its own.
// Instances are identified by address; peers are the live replicas' ids.
func Instances(self string, peers []string, k int, all []instance.Instance) []instance.Instance {
	if k <= 0 {
		return all
	}
	type group struct{ color, cluster string }
	byGroup := map[group][]string{}
	for _, in := range all {
		g := group{in.Color, in.Cluster}
		byGroup[g] = append(byGroup[g], in.Addr)
	}
	keep := map[string]bool{}
	for _, addrs := range byGroup {
		for _, a := range Select(self, peers, k, addrs) {
			keep[a] = true
		}
	}
	return slices.DeleteFunc(slices.Clone(all), func(in instance.Instance) bool { return !keep[in.Addr] })
}
