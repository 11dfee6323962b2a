package dataset

import "testing"

func TestPermuteIsBijection(t *testing.T) {
	for _, n := range []uint64{1, 2, 7, 64, 9701, 10000} {
		seen := make([]bool, n)
		for k := range n {
			v := permute(k, n, mix(42, n))
			if v >= n || seen[v] {
				t.Fatalf("n=%d: permute(%d) = %d repeats or escapes", n, k, v)
			}
			seen[v] = true
		}
	}
}
