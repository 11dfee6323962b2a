package cache

import (
	"context"
	"runtime"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// payload is the size of one test value, about an archive's decoded size.
const payload = 256

// perEntry is a generous allowance for what the store spends on an entry
// beyond its value: otter's node, the key, the entry, hash-table slack.
const perEntry = 512

// After 1,000,000 distinct IDs have passed through a loader bounded at
// 10,000 entries, the live heap has grown by less than the bound's worth
// of entries plus 64 MB. Unbounded, the same IDs would hold about 400 MB.
func TestMemoryStaysWithinTheBound(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes 1,000,000 IDs through a loader")
	}
	if raceEnabled {
		// One goroutine, nothing to race: under the detector the same
		// test takes over a minute. Run it without -race.
		t.Skip("a single-goroutine memory test; run without -race")
	}
	const (
		ids   = 1_000_000
		bound = 10_000
		batch = 500
	)
	fetch := func(_ context.Context, ids []int64) (map[int64][]byte, error) {
		out := make(map[int64][]byte, len(ids))
		for _, id := range ids {
			out[id] = make([]byte, payload)
		}
		return out, nil
	}
	c := newClock()
	o := testOptions(c)
	o.MaxEntries = bound
	l, err := New("archive", fetch, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := liveHeap()
	req := make([]int64, batch)
	for start := int64(0); start < ids; start += batch {
		for i := range req {
			req[i] = start + int64(i)
		}
		if _, _, err := l.Get(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	l.store.CleanUp()
	grown := int64(liveHeap()) - int64(base)
	limit := int64(bound*(payload+perEntry) + 64<<20)
	t.Logf("live heap grew %.1f MB for %d entries held (limit %.1f MB); %d evictions",
		float64(grown)/(1<<20), l.store.EstimatedSize(), float64(limit)/(1<<20), int(testutil.ToFloat64(l.m.evicted)))
	if grown > limit {
		t.Fatalf("live heap grew %d bytes, limit %d", grown, limit)
	}
	if n := l.store.EstimatedSize(); n > bound {
		t.Fatalf("%d entries held, bound %d", n, bound)
	}
	runtime.KeepAlive(l) // the store must be live when the heap is read
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
