package subset

import (
	"slices"

	"mosaic/clients/instance"
)

// Peers are the live replicas' ids a subset is balanced over: all of
// them, and those in the replica's own cluster.
type Peers struct {
	All   []string
	Local []string
}

// Instances returns the instances replica self, of cluster, connects to:
// the subset of K chosen separately in each lane and cluster, so that a
// replica keeps instances of every lane (a canary included) and of every
// cluster (to fail over to), and each group is balanced on its own.
// Instances are identified by address.
//
// A group in the replica's own cluster is balanced over the replicas of
// that cluster (peers.Local): they are the ones that send it traffic, since
// each prefers its own cluster. Balanced over every replica, as the other
// clusters' groups are (a replica uses those only to fail over), the
// connections of the replicas that do use it would fall about as randomly
// as with random subsetting.
func Instances(self, cluster string, peers Peers, k int, all []instance.Instance) []instance.Instance {
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
	for g, addrs := range byGroup {
		over := peers.All
		if cluster != "" && g.cluster == cluster {
			over = peers.Local
		}
		for _, a := range Select(self, over, k, addrs) {
			keep[a] = true
		}
	}
	return slices.DeleteFunc(slices.Clone(all), func(in instance.Instance) bool { return !keep[in.Addr] })
}
