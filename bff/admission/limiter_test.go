package admission

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a fake clock moved by hand; safe for the goroutines of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// windows runs n sampling windows in which the traffic keeps busy of the
// limit in flight (at least one request) and each request takes rtt. Each
// window is closed by one more request, so that it holds its own samples
// only.
func windows(t *testing.T, l *Limiter, c *clock, n int, busy float64, rtt time.Duration) []int {
	t.Helper()
	var limits []int
	for range n {
		k := max(1, int(busy*float64(l.Limit())))
		for i := range k {
			if v := l.Acquire(context.Background(), c.Now()); v != Admitted {
				t.Fatalf("request %d of %d (limit %d) shed: %v", i+1, k, l.Limit(), v)
			}
		}
		for range k {
			l.Release(c.Now().Add(-rtt), true)
		}
		c.add(l.cfg.Window)
		l.Acquire(context.Background(), c.Now())
		l.Release(c.Now().Add(-rtt), true)
		limits = append(limits, l.Limit())
	}
	return limits
}

func testLimiter(c *clock, cfg Config) *Limiter {
	cfg.Now = c.Now
	if cfg.MinSamples == 0 {
		cfg.MinSamples = 1
	}
	return New(cfg)
}

// While latency holds steady and the traffic uses the limit, the limit grows.
func TestLimitGrowsWhileLatencyStaysLow(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 20, Max: 500})
	got := windows(t, l, c, 20, 1, 10*time.Millisecond)
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Fatalf("limit fell at steady latency: %v", got)
		}
	}
	if got[len(got)-1] < 3*20 {
		t.Fatalf("limit after 20 windows: %v, want at least 3× the initial 20", got)
	}
	t.Logf("limits: %v", got)
}

// When latency rises past Tolerance × its baseline, the limit shrinks, by
// at most half a window, never below Min nor below the capacity the recent
// windows showed (most completions per window × least latency: Little's
// law), and grows again when it falls.
func TestLimitShrinksWhenLatencyRises(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 100, Min: 10, Max: 500})
	before := windows(t, l, c, 10, 1, 10*time.Millisecond)
	top := before[len(before)-1]
	after := windows(t, l, c, 10, 1, 50*time.Millisecond)
	if after[0] < top/2 || after[0] >= top {
		t.Fatalf("first slow window: limit %d from %d, want a cut of at most half", after[0], top)
	}
	// The fast windows completed up to top+1 requests per 100 ms window at
	// 10 ms: a capacity of (top+1)/10 in flight.
	capacity := (top + 1 + 9) / 10
	if last := after[len(after)-1]; last != max(10, capacity) || after[len(after)-2] != last {
		t.Fatalf("after 10 slow windows: %v, want it settled at the capacity shown, %d", after, capacity)
	}
	again := windows(t, l, c, 10, 1, 10*time.Millisecond)
	if again[len(again)-1] <= 10 {
		t.Fatalf("latency back to normal, limit stuck: %v", again)
	}
	t.Logf("steady %v, slow %v, normal again %v", before, after, again)
}

// A window whose traffic used less than half the limit says nothing about
// the limit: slow or fast, it stays.
func TestLightTrafficLeavesTheLimit(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 100, Max: 500})
	windows(t, l, c, 5, 0.3, 10*time.Millisecond)
	got := windows(t, l, c, 5, 0.3, 80*time.Millisecond)
	if got[len(got)-1] != 100 {
		t.Fatalf("limits %v under light traffic, want 100 throughout", got)
	}
}

// Above the latency ceiling the limit shrinks even when latency has always
// been that high (the baseline would tolerate it).
func TestLatencyCeilingShrinksTheLimit(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 100, Min: 10, LatencyCeiling: 200 * time.Millisecond})
	got := windows(t, l, c, 3, 1, 300*time.Millisecond)
	if got[0] >= 100 || got[2] >= got[0] {
		t.Fatalf("limits %v at 300 ms against a 200 ms ceiling, want falling", got)
	}
	c2 := newClock()
	free := testLimiter(c2, Config{Initial: 100, Min: 10})
	if got := windows(t, free, c2, 3, 1, 300*time.Millisecond); got[2] <= 100 {
		t.Fatalf("without a ceiling, steady 300 ms: %v, want growing", got)
	}
}

// Requests whose latency is not sampled (mock scenarios) do not move it.
func TestUnsampledRequestsTeachNothing(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 50, Min: 10})
	windows(t, l, c, 3, 1, 10*time.Millisecond)
	limit := l.Limit()
	for range 20 {
		starts := make([]time.Time, 0, limit)
		for range limit {
			l.Acquire(context.Background(), c.Now())
			starts = append(starts, c.Now())
		}
		c.add(800 * time.Millisecond)
		for _, s := range starts {
			l.Release(s, false)
		}
	}
	if l.Limit() != limit {
		t.Fatalf("unsampled 800 ms requests moved the limit %d → %d", limit, l.Limit())
	}
}

// A request read longer than QueueWait ago is dropped at once: it has
// queued before the limiter ever saw it.
func TestRequestThatQueuedTooLongIsDropped(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{QueueWait: 50 * time.Millisecond})
	if v := l.Acquire(context.Background(), c.Now().Add(-60*time.Millisecond)); v != ShedQueue {
		t.Fatalf("read 60 ms ago: %v, want ShedQueue", v)
	}
	if v := l.Acquire(context.Background(), c.Now().Add(-40*time.Millisecond)); v != Admitted {
		t.Fatalf("read 40 ms ago, free slots: %v, want Admitted", v)
	}
	if l.inflight != 1 {
		t.Fatalf("%d in flight, want only the admitted one", l.inflight)
	}
}

func (l *Limiter) queued() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waiters)
}

// At the limit a request waits for a slot, newest first; it is shed when
// what is left of its QueueWait runs out, and at once when it may not wait.
func TestWaitingForASlot(t *testing.T) {
	l := New(Config{Min: 2, Max: 2, QueueWait: 10 * time.Second})
	for range 2 {
		if l.Acquire(context.Background(), time.Now()) != Admitted {
			t.Fatal("request shed below the limit")
		}
	}
	got := make(chan int, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			if l.Acquire(context.Background(), time.Now()) == Admitted {
				got <- i
				l.Release(time.Now(), false)
			}
		})
		for deadline := time.Now().Add(5 * time.Second); l.queued() != i+1; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("waiter never queued")
			}
		}
	}
	l.Release(time.Now(), false)
	if first := <-got; first != 1 {
		t.Fatalf("waiter %d served first, want the newest (1)", first)
	}
	wg.Wait()

	short := New(Config{Min: 1, Max: 1, QueueWait: 20 * time.Millisecond})
	short.Acquire(context.Background(), time.Now())
	if v := short.Acquire(context.Background(), time.Now()); v != ShedQueue || short.queued() != 0 {
		t.Fatalf("waited out its QueueWait: %v with %d queued, want ShedQueue and none", v, short.queued())
	}
	never := New(Config{Min: 1, Max: 1, QueueWait: -1})
	never.Acquire(context.Background(), time.Now())
	if v := never.Acquire(context.Background(), time.Now()); v != ShedLimit {
		t.Fatalf("no waiting allowed: %v, want ShedLimit", v)
	}
}
