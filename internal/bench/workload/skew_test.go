package workload

import (
	"fmt"
	"strings"
	"testing"

	"mosaic/mocks/dataset"
)

// TestSkewDrawsTheFeedsPopularity: requests are a function of (key, i);
// viewers are spread over the population; videos are visible and as
// skewed as the feed itself, its most popular archive first; users are
// the uploaders of such videos.
func TestSkewDrawsTheFeedsPopularity(t *testing.T) {
	ds := dataset.New(3, dataset.Skewed())
	s := NewSkew(ds, DefaultViewers, 3)
	feed, _ := Lookup(Feed)
	video, _ := Lookup(Video)
	user, _ := Lookup(User)

	p1, v1 := s.Request(video, "web", 0, 1, 7)
	p2, v2 := s.Request(video, "web", 0, 1, 7)
	p3, v3 := s.Request(video, "web", 0, 2, 7)
	if p1 != p2 || v1 != v2 || (p1 == p3 && v1 == v3) {
		t.Errorf("(1,7): %s %d then %s %d; (2,7): %s %d", p1, v1, p2, v2, p3, v3)
	}
	const n = 20000
	viewers := map[int64]bool{}
	for i := range uint64(n) {
		path, v := s.Request(feed, "web", 20, 9, i)
		if path != "/web/v1/feed?ps=20" || v < 1 || v > DefaultViewers {
			t.Fatalf("feed request %s for viewer %d", path, v)
		}
		viewers[v] = true
	}
	if len(viewers) < n*99/100 { // 1,000,000 viewers: about 200 collisions in 20,000
		t.Errorf("%d distinct viewers in %d requests", len(viewers), n)
	}

	drawn := map[int64]int{}
	for i := range uint64(n) {
		path, _ := s.Request(video, "web", 20, 9, i)
		var aid int64
		if _, err := fmt.Sscanf(path, "/web/v1/videos/%d", &aid); err != nil {
			t.Fatalf("video path %q: %v", path, err)
		}
		if a, ok := ds.Archive(aid); !ok || a.GetState() != 0 {
			t.Fatalf("video %d is not a visible archive", aid)
		}
		drawn[aid]++
	}
	top, topN := mostCommon(drawn)
	// Zipf 1.0 over ~95,000 archives: the first takes about 8% of the
	// draws, where a uniform draw would give each 0.001%.
	if topN < n/50 || len(drawn) > n/2 {
		t.Errorf("most drawn video %d: %d of %d draws, %d distinct: not skewed", top, topN, n, len(drawn))
	}
	inFeed := map[int64]int{}
	for v := range int64(1000) {
		for _, it := range ds.Recommend(v+1, "web", 1, 20) {
			inFeed[it.GetAid()]++
		}
	}
	if feedTop, _ := mostCommon(inFeed); feedTop != top {
		t.Errorf("most drawn video %d, but the feed's most frequent is %d", top, feedTop)
	}

	for i := range uint64(200) {
		path, _ := s.Request(user, "web", 20, 9, i)
		var mid int64
		if _, err := fmt.Sscanf(strings.TrimSuffix(path, "?ps=20"), "/web/v1/users/%d", &mid); err != nil || !ds.HasMid(mid) {
			t.Fatalf("user path %q: %v", path, err)
		}
	}
}

func mostCommon(counts map[int64]int) (key int64, n int) {
	for k, c := range counts {
		if c > n || (c == n && k < key) {
			key, n = k, c
		}
	}
	return key, n
}
