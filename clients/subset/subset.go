// Package subset chooses which K instances of a downstream service one BFF
// replica connects to, so that the replicas together load every instance
// evenly and an instance (or a replica) coming or going moves few
// connections.
//
// # Replica ids
//
// A replica is named by any stable string unique in its fleet: its
// -instance-id, a pod name. Ordinals are not needed, so a Deployment's
// "bff-5d8f7c9b4-x7k2p" works as well as a StatefulSet's "bff-7". Every
// replica passes the ids of all live replicas (its peers, as the registry
// lists them; itself included or not), and all replicas that see the same
// peers and instances compute the same assignment. A replica that knows no
// peers gets its plain rendezvous-hash top K: deterministic and low-churn,
// but balanced only statistically, like random subsetting.
//
// # The assignment
//
// The subsets are the stable matching (in the Gale–Shapley sense) of R
// replicas, wanting K instances each, to N instances that take about
//
//	cap = c · R · K / N, c = 1.05
//
// replicas each (rounded per instance, never below ceil(R·K/N): see
// instanceCap), where both sides rank each other by the rendezvous score
// hash(replica, instance). With one score ranking both sides, that matching
// is the greedy one: take the (replica, instance) pairs by descending score
// and keep a pair while its replica has fewer than K and its instance fewer
// than its cap. Each replica offers only its top 3K pairs; one that still
// falls short takes the least loaded instances. It is computed from the ids
// alone, so the order of the inputs does not matter. Select costs O(R·N)
// hashes: every replica computes the whole fleet's matching.
//
// The caps bound the balance (max/mean connections per instance) by
// (floor(c·R·K/N)+1)/(R·K/N), or ceil(R·K/N)/(R·K/N) where that is larger:
// 1.067 for 300 replicas, 100 instances and K = 10. Where the mean is below
// 10 the slack grants nothing above ceil(R·K/N): one connection more would
// be more than 10% (see instanceCap). The scores keep churn
// low: an instance coming or going displaces only the pairs it wins or
// loses, and each displaced pair starts a chain of moves that stops at the
// first instance below its cap, which most are, since c leaves slack.
//
// The replica count is the price. Schemes that do without it must cap every
// prefix of replica ordinals instead (replica j replays replicas 0..j); those
// caps bind almost everywhere and the chains run to the last replica. The
// tests measure that alternative at 16 times the minimum churn, against
// under 2 here.
package subset

import (
	"cmp"
	"slices"
)

// slackPercent is the cap factor c in percent: integral, so that every
// replica computes the same caps.
const slackPercent = 105

// candidatesPerK bounds how deep into its own ranking each replica's pairs
// are considered: a replica rarely loses more than half of its top 3K to
// full instances, and the rest is filled least-loaded first.
const candidatesPerK = 3

// Select returns the sorted ids of the instances that replica self connects
// to, given the ids of its live peers and of the service's instances.
// Duplicates count once. k <= 0 or k >= the number of distinct instances
// returns all of them.
func Select(self string, peers []string, k int, instances []string) []string {
	ids := distinct(instances)
	if k <= 0 || k >= len(ids) {
		return ids
	}
	replicas := distinct(append(slices.Clone(peers), self))
	assigned := match(replicas, ids, k, slackPercent)
	me, _ := slices.BinarySearch(replicas, self)
	out := make([]string, len(assigned[me]))
	for n, p := range assigned[me] {
		out[n] = ids[p]
	}
	slices.Sort(out)
	return out
}

// distinct returns the ids sorted and deduplicated, which makes everything
// downstream independent of the registry's listing order.
func distinct(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// pair is one (replica, instance) edge with its rendezvous score.
type pair struct {
	score    uint64
	replica  int32
	instance int32
}

// match returns, for every replica, the indices of its instances; k is
// below len(instances). slack is c in percent.
func match(replicas, instances []string, k, slack int) [][]int32 {
	n := len(instances)
	hashes := make([]uint64, n)
	for p, id := range instances {
		hashes[p] = hashString(id)
	}
	pairs := candidates(replicas, hashes, min(n, candidatesPerK*k))
	slices.SortFunc(pairs, byScore)
	limit := make([]int, n)
	for p, h := range hashes {
		limit[p] = instanceCap(slack, len(replicas), k, n, h)
	}
	load := make([]int, n)
	assigned := make([][]int32, len(replicas))
	for _, e := range pairs {
		if len(assigned[e.replica]) < k && load[e.instance] < limit[e.instance] {
			assigned[e.replica] = append(assigned[e.replica], e.instance)
			load[e.instance]++
		}
	}
	for r := range assigned {
		if len(assigned[r]) < k {
			assigned[r] = fill(assigned[r], replicaKey(replicas[r]), k, hashes, load)
		}
	}
	return assigned
}

// candidates returns each replica's top m pairs by score.
func candidates(replicas []string, hashes []uint64, m int) []pair {
	pairs := make([]pair, 0, len(replicas)*m)
	best := make([]pair, 0, m+1)
	for r, id := range replicas {
		key := replicaKey(id)
		best = best[:0]
		for p, h := range hashes {
			best = insertBest(best, m, pair{score(key, h), int32(r), int32(p)})
		}
		pairs = append(pairs, best...)
	}
	return pairs
}

// byScore orders pairs by descending score; the indices break the (2^-64
// likely) ties so that the order is total.
func byScore(a, b pair) int {
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	if c := cmp.Compare(a.replica, b.replica); c != 0 {
		return c
	}
	return cmp.Compare(a.instance, b.instance)
}

// insertBest keeps best sorted by byScore and at most m long; m is small,
// so insertion beats a heap.
func insertBest(best []pair, m int, e pair) []pair {
	if len(best) == m && byScore(e, best[m-1]) >= 0 {
		return best
	}
	at, _ := slices.BinarySearchFunc(best, e, byScore)
	best = slices.Insert(best, at, e)
	if len(best) > m {
		best = best[:m]
	}
	return best
}

// fill completes a replica that ran out of candidates below the cap with the
// least loaded instances it lacks, best score first among equals. It may
// take an instance past the cap, which only happens when nearly all are at
// it.
func fill(have []int32, key uint64, k int, hashes []uint64, load []int) []int32 {
	var rest []pair
	for p, h := range hashes {
		if !slices.Contains(have, int32(p)) {
			rest = append(rest, pair{score: score(key, h), instance: int32(p)})
		}
	}
	slices.SortFunc(rest, func(a, b pair) int {
		if c := cmp.Compare(load[a.instance], load[b.instance]); c != 0 {
			return c
		}
		return byScore(a, b)
	})
	for _, e := range rest[:k-len(have)] {
		have = append(have, e.instance)
		load[e.instance]++
	}
	return have
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// instanceCap is floor(c·R·K/N + u) for the instance's own u in [0, 1),
// and never below ceil(R·K/N), so that the caps always hold every replica's
// K. Rounding up a fraction u of the instances, rather than all or none,
// makes a change of R or N move the caps of a few instances at a time: with
// one cap for all, every instance at it would shed or take a connection
// whenever c·R·K/N crossed an integer (measured: up to 3.1 times the
// minimum churn, against 2.1).
//
// The slack never takes a cap past (2c−1)·R·K/N, though: below a mean of
// 1/(2(c−1)) (10 at c = 1.05), one connection is more than 10% of an
// instance's share, more than the slack is worth. At a mean of 1 (two
// replicas with K = 1 over two instances), the cap of 2 that 5% of
// instances drew let both replicas share one instance and leave the other
// idle: 1 fleet in 40 (TestSmallShareNeverDoubles).
func instanceCap(slack, replicas, k, n int, hash uint64) int {
	const scale = 1 << 16
	u := int(hash >> 48)
	dithered := (slack*replicas*k*scale + u*100*n) / (100 * n * scale)
	most := (2*slack - 100) * replicas * k / (100 * n)
	return max(min(dithered, most), ceilDiv(replicas*k, n))
}
