package cache

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

const benchIDs = 50 // a feed page's archives

func benchLoader(b *testing.B, fetch func(context.Context, []int64) (map[int64]string, error)) *Loader[int64, string] {
	o := Options{
		MaxEntries: 100_000, Fresh: time.Hour, Stale: time.Hour, Negative: time.Second,
		Lane: laneOf, Scenario: scenarioOf,
	}
	l, err := New("archive", fetch, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(l.Close)
	return l
}

func instant(_ context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	for _, id := range ids {
		out[id] = "v"
	}
	return out, nil
}

func page(start int64) []int64 {
	ids := make([]int64, benchIDs)
	for i := range ids {
		ids[i] = start + int64(i)
	}
	return ids
}

// BenchmarkGetHit: a page of 50 IDs, all fresh in memory.
func BenchmarkGetHit(b *testing.B) {
	l := benchLoader(b, instant)
	ids := page(0)
	ctx := context.Background()
	if _, _, err := l.Get(ctx, ids); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, res, _ := l.Get(ctx, ids); res.Hits != benchIDs {
			b.Fatalf("%+v", res)
		}
	}
}

// BenchmarkGetMiss: a page of 50 new IDs, fetched by the request's own
// call (an instant one) and kept.
func BenchmarkGetMiss(b *testing.B) {
	l := benchLoader(b, instant)
	ctx := context.Background()
	var next int64
	b.ReportAllocs()
	for b.Loop() {
		if _, res, _ := l.Get(ctx, page(next)); res.Fetched != benchIDs {
			b.Fatalf("%+v", res)
		}
		next += benchIDs
	}
}

// BenchmarkGetSharedMiss: four requests need the same 50 new IDs; one
// starts the call, three join it while it runs, and all four get the
// answer. One op is four requests and one downstream call.
func BenchmarkGetSharedMiss(b *testing.B) {
	const requests = 4
	var (
		gate    chan struct{}
		entered = make(chan struct{}, 1)
	)
	l := benchLoader(b, func(ctx context.Context, ids []int64) (map[int64]string, error) {
		entered <- struct{}{}
		<-gate
		return instant(ctx, ids)
	})
	ctx := context.Background()
	var next int64
	b.ReportAllocs()
	for b.Loop() {
		gate = make(chan struct{})
		ids := page(next)
		next += benchIDs
		var wg sync.WaitGroup
		wg.Go(func() { l.Get(ctx, ids) })
		<-entered
		for range requests - 1 {
			wg.Go(func() {
				if _, res, _ := l.Get(ctx, ids); res.Shared != benchIDs {
					b.Errorf("%+v", res)
				}
			})
		}
		for waiters(l, ids[0]) < requests {
			runtime.Gosched()
		}
		close(gate)
		wg.Wait()
	}
}
