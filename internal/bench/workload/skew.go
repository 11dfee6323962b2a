package workload

import (
	"net/http"
	"slices"
	"strconv"

	"mosaic/internal/bench/reference"
	"mosaic/mocks/dataset"
)

// DefaultViewers is the viewer population of the skewed load: large enough
// that no two requests are likely to share a viewer, so that whatever a BFF
// finds in memory is the viewer-independent data and not a viewer's own.
const DefaultViewers = 1_000_000

// Skew draws the requests of the skewed load over a dataset with a Zipf
// feed (dataset.Skewed): each request for a viewer drawn uniformly from
// the population, each video the first item of a fresh page of the
// mocks' own Recommend (so videos are as popular as the feed makes them),
// each user the uploader of a video drawn that way. Nothing is drawn from
// a short list: how often a BFF meets an entity again is the catalogue's
// popularity, not the bench's choice.
type Skew struct {
	ds      *dataset.Dataset
	visible []int64 // ascending
	viewers uint64
	seed    uint64
}

// NewSkew draws from ds for viewers 1..viewers; seed keys the draws.
func NewSkew(ds *dataset.Dataset, viewers int, seed int64) *Skew {
	return &Skew{ds: ds, visible: ds.VisibleAids(), viewers: uint64(max(viewers, 1)), seed: uint64(seed)}
}

// Request is the i-th request of the stream key for scene on device at
// page size ps: its path and its viewer. The same (key, i) gives the same
// request, so implementations loaded in turn are sent the same sequence.
func (s *Skew) Request(scene Scene, device string, ps int, key, i uint64) (path string, viewer int64) {
	h := splitmix(splitmix(s.seed^key) ^ i)
	viewer = int64(h%s.viewers) + 1
	var e Entities
	if scene.ByID {
		e.Aid = s.PopularAid(splitmix(h))
		if scene.Name == User {
			a, _ := s.ds.Archive(e.Aid)
			e.Mid = a.GetOwnerMid()
		}
	}
	return scene.Path(device, e, ps), viewer
}

// maxDraws bounds the pages PopularAid asks for: one in 20 of the feed's
// items is a hidden archive, so a visible one nearly always comes first.
const maxDraws = 16

// PopularAid is a visible aid drawn with the feed's popularity from the
// uniform u: the first item of one page of Recommend for a viewer and a
// page derived from u; hidden archives (which the video page answers with
// 404) are drawn again.
func (s *Skew) PopularAid(u uint64) int64 {
	for try := range uint64(maxDraws) {
		h := splitmix(u + try)
		items := s.ds.Recommend(int64(h%s.viewers)+1, reference.Device, int(h>>40)+1, 1)
		if len(items) == 1 {
			if _, ok := slices.BinarySearch(s.visible, items[0].GetAid()); ok {
				return items[0].GetAid()
			}
		}
	}
	return s.visible[u%uint64(len(s.visible))]
}

// HeaderFor is Header for another viewer.
func HeaderFor(viewer int64) http.Header {
	h := Header()
	h.Set("X-User-Id", strconv.FormatInt(viewer, 10))
	return h
}

// splitmix is SplitMix64's finaliser: a bijection on uint64 that spreads
// consecutive inputs over the whole range.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
