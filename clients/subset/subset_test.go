package subset

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSelectEdges(t *testing.T) {
	five := []string{"e:1", "a:1", "c:1", "b:1", "d:1"}
	sorted := []string{"a:1", "b:1", "c:1", "d:1", "e:1"}
	peers := []string{"bff-0", "bff-1", "bff-2"}
	tests := []struct {
		name      string
		k         int
		instances []string
		want      []string // nil: any k of the distinct instances
		wantLen   int
	}{
		{name: "k zero keeps all", k: 0, instances: five, want: sorted},
		{name: "k negative keeps all", k: -3, instances: five, want: sorted},
		{name: "k equal to the instances keeps all", k: 5, instances: five, want: sorted},
		{name: "k above the instances keeps all", k: 9, instances: five, want: sorted},
		{name: "duplicates count once", k: 5, instances: append(slices.Clone(five), "a:1", "e:1"), want: sorted},
		{name: "no instances", k: 2, instances: nil, want: []string{}},
		{name: "k below the instances", k: 2, instances: five, wantLen: 2},
		{name: "k one below the instances", k: 4, instances: five, wantLen: 4},
		{name: "duplicates do not fill a subset twice", k: 2, instances: []string{"a:1", "a:1", "a:1", "b:1", "c:1"}, wantLen: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Select("bff-1", peers, tt.k, tt.instances)
			if tt.want != nil {
				if diff := gocmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Select (-want +got):\n%s", diff)
				}
				return
			}
			if len(got) != tt.wantLen || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Fatalf("Select = %v, want %d distinct sorted ids", got, tt.wantLen)
			}
			for _, id := range got {
				if !slices.Contains(tt.instances, id) {
					t.Errorf("Select returned %q, not an instance", id)
				}
			}
		})
	}
}

// TestSelectIsOneRowOfTheMatching: every replica computing its own subset,
// with itself listed among its peers or not, reproduces the fleet-wide
// matching the simulation measures.
func TestSelectIsOneRowOfTheMatching(t *testing.T) {
	const k = 4
	peers := replicaIDs(40)
	instances := addresses(25)
	rows := ours(len(peers), k, instances)
	for j, self := range peers {
		if got := Select(self, peers, k, instances); !slices.Equal(got, sortedCopy(rows[j])) {
			t.Fatalf("Select(%s) = %v, want its row %v", self, got, sortedCopy(rows[j]))
		}
		others := slices.Delete(slices.Clone(peers), j, j+1)
		if got := Select(self, others, k, instances); !slices.Equal(got, sortedCopy(rows[j])) {
			t.Fatalf("Select(%s) without itself among the peers = %v, want %v", self, got, sortedCopy(rows[j]))
		}
	}
}

func sortedCopy(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// TestOrderDoesNotMatter: the registry lists instances and peers in any
// order, and may list one twice.
func TestOrderDoesNotMatter(t *testing.T) {
	const k = 5
	peers := replicaIDs(30)
	instances := addresses(40)
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 5 {
		shuffledPeers := slices.Clone(peers)
		rng.Shuffle(len(shuffledPeers), func(a, b int) {
			shuffledPeers[a], shuffledPeers[b] = shuffledPeers[b], shuffledPeers[a]
		})
		shuffled := append(slices.Clone(instances), instances[round], instances[3*round])
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		for _, self := range []string{"bff-0", "bff-13", "bff-29"} {
			want := Select(self, peers, k, instances)
			if got := Select(self, shuffledPeers, k, shuffled); !slices.Equal(got, want) {
				t.Errorf("round %d, %s: shuffled input gave %v, want %v", round, self, got, want)
			}
		}
	}
}

// TestNoPeersIsRendezvousTopK: a replica that knows no peers takes its own
// top k by rendezvous score, so an instance it does not use can come and go
// without moving it.
func TestNoPeersIsRendezvousTopK(t *testing.T) {
	const k = 6
	instances := addresses(50)
	key := replicaKey("bff-x")
	byScoreDesc := slices.Clone(instances)
	slices.SortFunc(byScoreDesc, func(a, b string) int {
		return cmp.Compare(score(key, hashString(b)), score(key, hashString(a)))
	})
	want := sortedCopy(byScoreDesc[:k])
	got := Select("bff-x", nil, k, instances)
	if !slices.Equal(got, want) {
		t.Fatalf("Select without peers = %v, want the top %d by score %v", got, k, want)
	}
	unused := byScoreDesc[k+3]
	fewer := slices.DeleteFunc(slices.Clone(instances), func(s string) bool { return s == unused })
	if again := Select("bff-x", nil, k, fewer); !slices.Equal(again, want) {
		t.Errorf("removing unused %s moved the subset from %v to %v", unused, want, again)
	}
}

// TestBalanceShapes checks the cap's bound on many fleet shapes, replica
// counts that divide nothing included, and ids with and without ordinals:
// every replica gets k distinct instances, no instance carries more than
// max(floor(1.05·mean)+1, ceil(mean)), and where the mean is at least 20
// (where an integer bound can be that tight) balance is at most 1.10.
func TestBalanceShapes(t *testing.T) {
	shapes := []struct{ replicas, instances, k int }{
		{300, 100, 10}, {301, 100, 10}, {299, 101, 10}, {7, 100, 10}, {1, 5, 2},
		{37, 12, 3}, {1000, 500, 20}, {50, 10, 9}, {2, 3, 1}, {123, 45, 7},
		{997, 61, 13}, {2500, 97, 3}, {64, 64, 63},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%8s %9s %4s %8s %5s %5s %8s\n", "replicas", "instances", "k", "mean", "max", "bound", "balance")
	for _, s := range shapes {
		for _, named := range []string{"ordinal", "pod"} {
			names := replicaIDs(s.replicas)
			if named == "pod" {
				names = podNames(s.replicas)
			}
			instances := addresses(s.instances)
			rows := match(distinct(names), instances, s.k, slackPercent)
			load := make([]int, s.instances)
			for r, row := range rows {
				if len(row) != s.k || len(slices.Compact(slices.Sorted(slices.Values(row)))) != s.k {
					t.Fatalf("%+v %s: replica %d got %v, want %d distinct", s, named, r, row, s.k)
				}
				for _, p := range row {
					load[p]++
				}
			}
			mean := float64(s.replicas*s.k) / float64(s.instances)
			most := slices.Max(load)
			slackBound := min(slackPercent*s.replicas*s.k/(100*s.instances)+1, (2*slackPercent-100)*s.replicas*s.k/(100*s.instances))
			bound := max(slackBound, ceilDiv(s.replicas*s.k, s.instances))
			balance := float64(most) / mean
			fmt.Fprintf(&table, "%8d %9d %4d %8.2f %5d %5d %8.3f %s\n", s.replicas, s.instances, s.k, mean, most, bound, balance, named)
			if most > bound {
				t.Errorf("%+v %s: an instance carries %d, above the bound %d", s, named, most, bound)
			}
			if mean >= 20 && balance > 1.10 {
				t.Errorf("%+v %s: balance %.3f, want <= 1.10", s, named, balance)
			}
		}
	}
	t.Logf("\n%s", table.String())
}

// podNames are Deployment-style names: no ordinal to rely on.
func podNames(n int) []string {
	ids := make([]string, n)
	for j := range ids {
		ids[j] = fmt.Sprintf("bff-5d8f7c9b4-%05x", mix64(uint64(j))&0xfffff)
	}
	return ids
}

func BenchmarkSelect(b *testing.B) {
	for _, s := range []struct{ replicas, instances, k int }{{300, 100, 10}, {5000, 500, 10}} {
		b.Run(fmt.Sprintf("R=%d/N=%d/K=%d", s.replicas, s.instances, s.k), func(b *testing.B) {
			peers := replicaIDs(s.replicas)
			instances := addresses(s.instances)
			for b.Loop() {
				Select("bff-7", peers, s.k, instances)
			}
		})
	}
}

// TestSmallShareNeverDoubles: where an instance's fair share is small, one
// connection above it is a large overload, so the slack must not grant it.
// Two replicas with K = 1 over two instances used to share one instance,
// the other idle, for about 1 address pair in 40; with R·K <= N no
// instance may carry two while another carries none.
func TestSmallShareNeverDoubles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for try := range 20000 {
		instances := make([]string, 2+rng.IntN(6))
		for p := range instances {
			instances[p] = fmt.Sprintf("127.0.0.1:%d", 1024+rng.IntN(64000))
		}
		instances = distinct(instances)
		r := 1 + rng.IntN(len(instances)) // R·K <= N with K = 1
		replicas := replicaIDs(r)
		load := map[string]int{}
		for _, self := range replicas {
			for _, id := range Select(self, replicas, 1, instances) {
				load[id]++
			}
		}
		for id, l := range load {
			if l > 1 {
				t.Fatalf("try %d: %d replicas, K=1, instances %v: %s carries %d (loads %v)", try, r, instances, id, l, load)
			}
		}
	}
}
