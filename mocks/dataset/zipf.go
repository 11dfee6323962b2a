package dataset

import (
	"math"
	"sort"
)

// zipf draws indexes of n visible archives with Zipf popularity: rank r
// (from 0) with weight 1/(r+1)^s, and rank r is the archive at permute(r)
// of a key of the seed, so the popular archives are spread over the
// catalogue rather than the lowest aids, and the same for every viewer.
type zipf struct {
	cdf []uint64 // cdf[r]: P(rank ≤ r) scaled to 2^64; the last is MaxUint64
	key uint64
}

// newZipf builds the table once (a few ms for 100,000 ranks). Its floats
// are the only ones in the dataset: each weight is rounded to float64 before
// it is summed, so no multiply-add can be fused, and a boundary could move
// by an ulp only if math.Pow differed between architectures.
func newZipf(n int, s float64, key uint64) *zipf {
	w := make([]float64, n)
	var sum float64
	for r := range w {
		w[r] = float64(1 / math.Pow(float64(r+1), s))
		sum = float64(sum + w[r])
	}
	z := &zipf{cdf: make([]uint64, n), key: key}
	var cum float64
	for r := range w {
		cum = float64(cum + w[r])
		if p := cum / sum; p < 1 && r < n-1 {
			z.cdf[r] = uint64(math.Ldexp(p, 64))
		} else {
			z.cdf[r] = math.MaxUint64
		}
	}
	return z
}

// draw maps a uniform u to an index of the visible archives.
func (z *zipf) draw(u uint64) uint64 {
	n := len(z.cdf)
	r := sort.Search(n, func(i int) bool { return z.cdf[i] > u })
	if r == n { // u is MaxUint64
		r = n - 1
	}
	return permute(uint64(r), uint64(n), z.key)
}
