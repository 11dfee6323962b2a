package cache

import (
	"context"
	"maps"
	"runtime"
	"testing"
)

// Peek answers only when every ID is fresh in the caller's lane, and makes
// no call, counts nothing and starts no refresh.
func TestPeekAnswersFreshEntriesOnly(t *testing.T) {
	c, s := newClock(), &service{}
	o := testOptions(c)
	o.RefreshAhead = 0.5
	l := newLoader(t, s, o)
	ctx := context.Background()
	if _, ok := l.Peek(ctx, []int64{1}); ok {
		t.Fatal("peek of an empty cache answered")
	}
	s.set(func(s *service) { s.absent = map[int64]bool{3: true} })
	mustGet(t, l, ctx, 1, 2, 3)
	calls, hits := s.callCount(), count(l, "hit")
	got, ok := l.Peek(ctx, []int64{1, 3})
	if !ok || !maps.Equal(got, map[int64]string{1: "/1/0"}) {
		t.Fatalf("peek of fresh entries: %v %v, want 1 and the absence of 3", got, ok)
	}
	if _, ok := l.Peek(ctx, []int64{1, 4}); ok {
		t.Fatal("peek answered with an ID never read")
	}
	if _, ok := l.Peek(inLane(ctx, "canary"), []int64{1}); ok {
		t.Fatal("peek answered a canary from the baseline's entries")
	}
	if _, ok := l.Peek(context.WithValue(ctx, scenarioKey{}, "archive=unavailable"), []int64{1}); ok {
		t.Fatal("peek answered a scenario request")
	}
	c.advance(o.Fresh * 3 / 4) // due for a refresh ahead: a Get would start one
	if _, ok := l.Peek(ctx, []int64{1}); !ok {
		t.Fatal("peek of an entry still fresh")
	}
	c.advance(o.Fresh)
	if _, ok := l.Peek(ctx, []int64{1}); ok {
		t.Fatal("peek answered with an entry past its freshness")
	}
	if s.callCount() != calls || count(l, "hit") != hits {
		t.Fatalf("peek called (%d calls, want %d) or counted (%d hits, want %d)", s.callCount(), calls, count(l, "hit"), hits)
	}
	off, err := New("archive", s.fetch, Options{Off: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := off.Peek(ctx, []int64{1}); ok {
		t.Fatal("an off loader answered a peek")
	}
}

// Bounded by bytes, the store keeps the entries' weight (value sizes plus
// EntryOverhead) within MaxBytes, evicting the rest.
func TestBoundedByBytes(t *testing.T) {
	c, s := newClock(), &service{}
	o := testOptions(c)
	const valueSize, bound = 1000, 100 * (1000 + EntryOverhead)
	o.MaxEntries, o.MaxBytes = 0, bound
	o.Size = func(any) int { return valueSize }
	l := newLoader(t, s, o)
	for start := int64(0); start < 5000; start += 50 {
		ids := make([]int64, 50)
		for i := range ids {
			ids[i] = start + int64(i)
		}
		mustGet(t, l, context.Background(), ids...)
	}
	l.store.CleanUp()
	if w := l.store.WeightedSize(); w > bound {
		t.Fatalf("weight %d held, bound %d", w, bound)
	}
	if n := l.store.EstimatedSize(); n > 100 || n < 50 {
		t.Fatalf("%d entries held, want about 100 of %d bytes each in %d", n, valueSize+EntryOverhead, bound)
	}
	if n := count(l, "eviction"); n < 4800 {
		t.Fatalf("%d evictions counted for 5000 IDs through a bound of 100 entries' weight", n)
	}
}

// EntryOverhead covers what the store really spends per entry beyond the
// value: with values of no size, the live heap per entry held stays
// within it.
func TestEntryOverheadCoversTheStore(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a store with 200,000 entries")
	}
	if raceEnabled {
		t.Skip("measures the heap; the race detector's shadow memory would be counted")
	}
	const n = 200_000
	c := newClock()
	o := testOptions(c)
	o.MaxEntries, o.MaxBytes = 0, 1<<40
	o.Size = func(any) int { return 0 }
	fetch := func(_ context.Context, ids []int64) (map[int64]*struct{}, error) {
		out := make(map[int64]*struct{}, len(ids))
		for _, id := range ids {
			out[id] = &struct{}{} // zero-sized: no heap
		}
		return out, nil
	}
	l, err := New("archive", fetch, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := liveHeap()
	req := make([]int64, 500)
	for start := int64(0); start < n; start += int64(len(req)) {
		for i := range req {
			req[i] = start + int64(i)
		}
		if _, _, err := l.Get(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	l.store.CleanUp()
	per := float64(int64(liveHeap())-int64(base)) / float64(l.store.EstimatedSize())
	t.Logf("%.0f bytes of live heap per entry held (%d held), EntryOverhead %d", per, l.store.EstimatedSize(), EntryOverhead)
	if per > EntryOverhead {
		t.Fatalf("an entry takes %.0f bytes beyond its value, EntryOverhead says %d", per, EntryOverhead)
	}
	runtime.KeepAlive(l)
}

// ByID passes every read through until Cache puts a cache in front; a
// refused cache leaves it passing through.
func TestByIDPassesThroughUntilCached(t *testing.T) {
	c, s := newClock(), &service{}
	b := NewByID(s.fetch)
	ctx := context.Background()
	for range 2 {
		if _, err := b.Read(ctx, []int64{1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := b.Peek(ctx, []int64{1}); ok || s.callCount() != 2 {
		t.Fatalf("uncached: %d calls for two reads, peek %v", s.callCount(), ok)
	}
	if _, err := b.Cache("archive", Options{}); err == nil {
		t.Fatal("an invalid cache was accepted")
	}
	if _, err := b.Read(ctx, []int64{1}); err != nil || s.callCount() != 3 {
		t.Fatalf("after a refused cache: %v, %d calls", err, s.callCount())
	}
	closeCache, err := b.Cache("archive", testOptions(c))
	if err != nil {
		t.Fatal(err)
	}
	defer closeCache()
	for range 2 {
		if _, err := b.Read(ctx, []int64{1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := b.Peek(ctx, []int64{1}); !ok || s.callCount() != 4 {
		t.Fatalf("cached: %d calls, want 4; peek %v", s.callCount(), ok)
	}
}
