package cache

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Many readers with short random deadlines over a slow service, with
// refreshes ahead riding on small batches and the clock running fast. Once
// they are done, nothing is left behind: no call in the map, no refresh
// slot held, no entry claimed for a refresh that is not running (when the
// service never fails), and every ID asked is counted exactly once as a
// hit, miss, shared, stale or error. With the service failing one call in
// five, the IDs of a call that failed before a reader's deadline were once
// lost from both the answer and the counts.
func TestChurnLeavesNothingBehind(t *testing.T) {
	for _, failEvery := range []int{0, 5} {
		churn(t, failEvery)
	}
}

func churn(t *testing.T, failEvery int) {
	c := newClock()
	fetch := func(ctx context.Context, ids []int64) (map[int64]string, error) {
		select {
		case <-time.After(time.Duration(rand.IntN(3000)) * time.Microsecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if failEvery > 0 && rand.IntN(failEvery) == 0 {
			return nil, errDown
		}
		out := make(map[int64]string, len(ids))
		for _, id := range ids {
			if id%7 != 0 { // some IDs are absent
				out[id] = "v"
			}
		}
		return out, nil
	}
	o := testOptions(c)
	o.RefreshAhead, o.MaxBatch, o.MaxRefreshes = 0.5, 5, 4
	l, err := New("archive", fetch, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stop := make(chan struct{})
	ticking := make(chan struct{})
	go func() { // the clock runs 250 times faster than the wall's
		defer close(ticking)
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
				c.advance(50 * time.Millisecond)
			}
		}
	}()
	var (
		wg    sync.WaitGroup
		asked atomic.Int64
	)
	for range 32 {
		wg.Go(func() {
			for range 150 {
				ids := make([]int64, 1+rand.IntN(8))
				seen := map[int64]bool{}
				for j := range ids {
					ids[j] = int64(rand.IntN(40))
					seen[ids[j]] = true
				}
				asked.Add(int64(len(seen)))
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(3000))*time.Microsecond)
				l.Get(ctx, ids)
				cancel()
			}
		})
	}
	wg.Wait()
	close(stop)
	<-ticking
	l.wg.Wait()
	l.flights.mu.Lock()
	left := len(l.flights.m)
	l.flights.mu.Unlock()
	if left != 0 {
		t.Errorf("failing 1 in %d: %d IDs still in flight after the readers left", failEvery, left)
	}
	if n := len(l.refreshes.baseline) + len(l.refreshes.colored); n != 0 {
		t.Errorf("failing 1 in %d: %d refresh slots held after the readers left", failEvery, n)
	}
	if failEvery == 0 {
		for k, e := range l.store.All() {
			if e.refreshing.Load() {
				t.Errorf("entry %v claimed for a refresh that is not running", k)
			}
		}
	}
	sum := count(l, "hit") + count(l, "miss") + count(l, "shared") + count(l, "stale") + count(l, "error")
	if int64(sum) != asked.Load() {
		t.Errorf("failing 1 in %d: %d IDs asked, counted %d (hit %d, miss %d, shared %d, stale %d, error %d)", failEvery,
			asked.Load(), sum, count(l, "hit"), count(l, "miss"), count(l, "shared"), count(l, "stale"), count(l, "error"))
	}
}
