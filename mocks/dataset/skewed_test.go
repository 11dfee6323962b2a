package dataset_test

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	"mosaic/mocks/dataset"
)

// skewed1 is the Skewed world of seed 1, shared by the read-only tests below.
var skewed1 = sync.OnceValue(func() *dataset.Dataset { return dataset.New(1, dataset.Skewed()) })

// heapNow returns the live heap and the bytes allocated so far, which,
// unlike the live heap, only grows: other tests' garbage cannot make a
// difference of it negative.
func heapNow() (live, total int64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc), int64(m.TotalAlloc)
}

// generate asks d for every step-th archive, stat, profile and count.
func generate(d *dataset.Dataset, step int) {
	for aid := int64(1); aid <= int64(d.Config().Archives); aid += int64(step) {
		d.Archive(aid)
		d.Stat(aid)
	}
	for mid := int64(1); mid <= int64(d.Config().Accounts); mid += int64(step) {
		d.Profile(mid)
		d.FollowerCount(mid)
	}
}

// TestSkewedFootprint: a PerID world costs what is asked of it: building it
// holds less memory than generating a tenth of its entities does.
func TestSkewedFootprint(t *testing.T) {
	live0, total0 := heapNow()
	start := time.Now()
	d := dataset.New(7, dataset.Skewed())
	built := time.Since(start)
	live1, total1 := heapNow()
	start = time.Now()
	generate(d, 10)
	tenth := time.Since(start)
	live2, total2 := heapNow()
	t.Logf("Skewed: New %v, %.1f MB live; a tenth of the entities %v more, %.1f MB more", built, float64(live1-live0)/1e6, tenth, float64(live2-live1)/1e6)
	if total1-total0 > total2-total1 {
		t.Errorf("New allocates %d bytes, more than the %d a tenth of the entities takes: it is not lazy", total1-total0, total2-total1)
	}
	runtime.KeepAlive(d)
}

// BenchmarkSkewedWorld measures building the Skewed world and then
// generating every entity of it (go test -run '^$' -bench SkewedWorld
// -benchtime 1x ./mocks/dataset).
func BenchmarkSkewedWorld(b *testing.B) {
	for b.Loop() {
		live0, _ := heapNow()
		start := time.Now()
		d := dataset.New(7, dataset.Skewed())
		b.ReportMetric(time.Since(start).Seconds(), "new-s")
		live1, _ := heapNow()
		b.ReportMetric(float64(live1-live0)/1e6, "new-MB")
		generate(d, 1)
		b.ReportMetric(time.Since(start).Seconds(), "all-s")
		live2, _ := heapNow()
		b.ReportMetric(float64(live2-live0)/1e6, "all-MB")
		runtime.KeepAlive(d)
	}
}

// TestPerIDIndependentOfOrder: an entity of a PerID world is a function of
// the seed and its ID, not of what was asked before it.
func TestPerIDIndependentOfOrder(t *testing.T) {
	a, b := dataset.New(3, dataset.Skewed()), dataset.New(3, dataset.Skewed())
	ids := []int64{99_999, 5, 42_000, 1, 77}
	for _, id := range ids {
		a.Archive(id)
		a.Profile(id)
	}
	for _, id := range slices.Backward(ids) {
		x, _ := a.Archive(id)
		y, _ := b.Archive(id)
		p, _ := a.Profile(id)
		q, _ := b.Profile(id)
		s, _ := a.Stat(id)
		u, _ := b.Stat(id)
		if !proto.Equal(x, y) || !proto.Equal(p, q) || !proto.Equal(s, u) {
			t.Fatalf("id %d differs with the order of generation:\n%v\n%v", id, x, y)
		}
	}
	c := dataset.New(4, dataset.Skewed())
	if x, _ := a.Archive(5); proto.Equal(x, must(c.Archive(5))) {
		t.Error("seeds 3 and 4 give the same archive 5")
	}
}

func must[T any](v T, ok bool) T {
	if !ok {
		panic("absent")
	}
	return v
}

// TestSkewedConsistent: the indexes built from the skeletons agree with the
// entities generated later.
func TestSkewedConsistent(t *testing.T) {
	d := skewed1()
	if n := len(d.VisibleAids()) + len(d.HiddenAids()); n != 100_000 || len(d.Mids()) != 20_000 {
		t.Fatalf("%d archives, %d accounts", n, len(d.Mids()))
	}
	for _, aid := range d.HiddenAids()[:50] {
		if a := must(d.Archive(aid)); a.GetState() == 0 {
			t.Fatalf("hidden aid %d has state 0", aid)
		}
	}
	for mid := int64(1); mid <= 30; mid++ {
		aids, total := d.ListByOwner(mid, 1, contract.MaxBatch)
		if mid <= 10 && total < 100 {
			t.Errorf("prolific mid %d has %d archives", mid, total)
		}
		for i, aid := range aids {
			a := must(d.Archive(aid))
			if a.GetOwnerMid() != mid || a.GetAid() != aid || a.GetTitle() == "" || len(a.GetTags()) == 0 {
				t.Fatalf("mid %d lists %v", mid, a)
			}
			if i > 0 && must(d.Archive(aids[i-1])).GetPubdate() < a.GetPubdate() {
				t.Fatalf("mid %d not newest first", mid)
			}
		}
	}
	for aid := int64(99_990); aid <= 100_000; aid++ {
		for _, r := range d.HotReplies(aid, 10) {
			if r.GetCtime() < must(d.Archive(aid)).GetPubdate() || r.GetMid() > 20_000 {
				t.Fatalf("aid %d reply %v", aid, r)
			}
		}
	}
}

// topShare is the share of the items of the first page of viewers 1..n that
// the 100 most frequent aids take.
func topShare(t *testing.T, d *dataset.Dataset, viewers int) float64 {
	t.Helper()
	freq := map[int64]int{}
	items := 0
	for v := int64(1); v <= int64(viewers); v++ {
		page := d.Recommend(v, "app", 1, 20)
		seen := map[int64]bool{}
		for _, it := range page {
			if seen[it.GetAid()] {
				t.Fatalf("viewer %d: aid %d twice on a page", v, it.GetAid())
			}
			seen[it.GetAid()] = true
			freq[it.GetAid()]++
			items++
		}
	}
	counts := slices.Sorted(func(yield func(int) bool) {
		for _, c := range freq {
			if !yield(c) {
				return
			}
		}
	})
	top := 0
	for _, c := range counts[max(0, len(counts)-100):] {
		top += c
	}
	return float64(top) / float64(items)
}

// TestZipfFeed: with Zipf(1) the 100 most popular of ~97,000 visible archives
// take about 40% of the feed (H(100)/H(97,000)); with 0 the same catalogue is
// uniform, and the same 100 take about 1%.
func TestZipfFeed(t *testing.T) {
	skewed := skewed1()
	cfg := dataset.Skewed()
	cfg.Zipf = 0
	uniform := dataset.New(1, cfg)
	zs, us := topShare(t, skewed, 1000), topShare(t, uniform, 1000)
	t.Logf("top-100 share of 1000 first pages: Zipf(1) %.3f, uniform %.3f", zs, us)
	if zs < 0.25 || us > 0.05 || zs < 8*us {
		t.Errorf("top-100 share: Zipf %.3f, uniform %.3f; want Zipf above 0.25 and 8× uniform", zs, us)
	}
	a, b := skewed.Recommend(9, "app", 2, 20), skewed.Recommend(9, "app", 2, 20)
	if !slices.EqualFunc(a, b, func(x, y *feedv1.Item) bool { return proto.Equal(x, y) }) {
		t.Error("Zipf Recommend not deterministic per (viewer, page)")
	}
	if c := skewed.Recommend(10, "app", 2, 20); slices.EqualFunc(a, c, func(x, y *feedv1.Item) bool { return proto.Equal(x, y) }) {
		t.Error("two viewers get the same Zipf page")
	}
	if n := len(skewed.Recommend(9, "web", 1, 500)); n != contract.MaxBatch {
		t.Errorf("ps 500 gave %d", n)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []dataset.Config{dataset.Classic(), dataset.Skewed()} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, c := range []dataset.Config{
		{Archives: 10, Accounts: 10}, {Archives: 1000, Accounts: 0},
		{Archives: 1000, Accounts: 10, Zipf: -1}, {Archives: 1000, Accounts: 10, Zipf: 11},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v valid", c)
		}
	}
}
