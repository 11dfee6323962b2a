package admission

import (
	"context"
	"sync"
	"testing"
	"time"

	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

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

// traffic runs n sampling windows in which busy of the limit (at least one
// request) is in flight throughout, each request taking rtt(k) with k in
// flight: k × Window / rtt complete in a window, as Little's law has it.
// It returns the limit after each window.
func traffic(t *testing.T, l *Limiter, c *clock, n int, busy float64, rtt func(k int) time.Duration) []int {
	t.Helper()
	var limits []int
	for range n {
		k := max(1, int(busy*float64(l.Limit())))
		d := rtt(k)
		rounds := max(1, int((l.cfg.Window+d-1)/d))
		for r := range rounds {
			for i := range k {
				if v := l.Acquire(context.Background()); v != Admitted {
					t.Fatalf("round %d: request %d of %d (limit %d) shed: %v", r, i+1, k, l.Limit(), v)
				}
			}
			c.add(d)
			for range k {
				l.Release(c.Now().Add(-d), true)
			}
		}
		limits = append(limits, l.Limit())
	}
	return limits
}

// fixed is a latency that does not depend on how many are in flight: a
// downstream's, not a queue's.
func fixed(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

// cpuBound is an instance that completes at most perSecond requests a
// second and needs at least least for one: past perSecond × least in
// flight, every extra request only adds queueing.
func cpuBound(perSecond float64, least time.Duration) func(int) time.Duration {
	return func(k int) time.Duration {
		return max(least, time.Duration(float64(k)/perSecond*float64(time.Second)))
	}
}

func testLimiter(c *clock, cfg Config) *Limiter {
	cfg.Now = c.Now
	if cfg.MinSamples == 0 {
		cfg.MinSamples = 1
	}
	return New(cfg)
}

// While latency stays low and the traffic uses the limit, the limit grows,
// at most doubling a window, up to Max.
func TestLimitGrowsWhileLatencyStaysLow(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 20, Max: 500})
	got := traffic(t, l, c, 10, 1, fixed(10*time.Millisecond))
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] || got[i] > 2*got[i-1] {
			t.Fatalf("limits %v at a steady 10 ms: want each window between the last and twice it", got)
		}
	}
	if got[len(got)-1] != 500 {
		t.Fatalf("limits %v: want Max (500) reached", got)
	}
}

// Overloaded, an instance that can finish 600 a second settles where its
// throughput × Target puts it (120 at 200 ms), whether it started far
// below or far above, and its latency with it.
func TestOverloadSettlesAtThroughputTimesTarget(t *testing.T) {
	inst := cpuBound(600, 40*time.Millisecond)
	for _, initial := range []int{16, 1000} {
		c := newClock()
		l := testLimiter(c, Config{Initial: initial, Min: 16, Max: 1024, Target: 200 * time.Millisecond})
		got := traffic(t, l, c, 30, 1, inst)
		last := got[len(got)-1]
		if last < 110 || last > 150 {
			t.Fatalf("from %d: limits %v, want settled near 120", initial, got)
		}
		if lat := inst(last); lat > 250*time.Millisecond {
			t.Fatalf("from %d: settled at %d in flight, %v each: want near the 200 ms target", initial, last, lat)
		}
	}
}

// An instance whose latency at capacity is above the target at any
// concurrency (a CPU quota's stalls: 40 ms alone, never under 120 ms once
// busy) is cut window after window, and its throughput with the limit.
// The default floor stops that ride where the instance still serves most
// of what it can; with a floor of 16 it fell below half, and kept falling.
func TestDefaultFloorStopsTheRideDown(t *testing.T) {
	const capacity = 600.0
	stalled := cpuBound(capacity, 120*time.Millisecond)
	c := newClock()
	l := testLimiter(c, Config{Initial: 200})
	traffic(t, l, c, 5, 0.3, fixed(40*time.Millisecond)) // light: its own latency
	got := traffic(t, l, c, 40, 1, stalled)
	last := got[len(got)-1]
	if served := float64(last) / stalled(last).Seconds(); served < 0.8*capacity {
		t.Fatalf("limits %v: settled at %d, serving %.0f a second of %.0f", got, last, served, capacity)
	}
}

// One window far over target (a GC pause, a CPU quota stall) at most
// halves the limit, and the next windows take it back.
func TestOneBadWindowIsNotACollapse(t *testing.T) {
	c := newClock()
	inst := cpuBound(600, 40*time.Millisecond)
	l := testLimiter(c, Config{Initial: 16, Min: 16, Target: 200 * time.Millisecond})
	settled := traffic(t, l, c, 20, 1, inst)
	top := settled[len(settled)-1]
	bad := traffic(t, l, c, 1, 1, fixed(2*time.Second))
	if bad[0] < top/2 {
		t.Fatalf("one 2 s window took the limit %d → %d, want at most half", top, bad[0])
	}
	again := traffic(t, l, c, 3, 1, inst)
	if again[2] < top*9/10 {
		t.Fatalf("after the bad window: %v, want back near %d within 3 windows", again, top)
	}
}

// An overload that starts after the instance sat idle finds the limit
// where the last one left it: idle time is not throughput the instance
// failed to deliver. (A window that spanned the idle gap read a rate of a
// few requests a second, and every window over target in the next second
// halved the limit, down to Min, at the onset of every burst.)
func TestIdleTimeDoesNotCountAgainstTheLimit(t *testing.T) {
	onset := func(idle time.Duration) []int {
		c := newClock()
		inst := cpuBound(600, 40*time.Millisecond)
		l := testLimiter(c, Config{Initial: 16, Min: 16, Target: 200 * time.Millisecond})
		traffic(t, l, c, 20, 1, inst)
		c.add(idle)
		// The burst queues at first: latency over target for a few
		// windows, then the instance's own.
		got := traffic(t, l, c, 3, 1, fixed(300*time.Millisecond))
		return append(got, traffic(t, l, c, 3, 1, inst)...)
	}
	busy, afterIdle := onset(0), onset(6*time.Second)
	for i := range busy {
		if afterIdle[i] < busy[i]*3/4 {
			t.Fatalf("limits at an overload's onset: %v after 6 s idle, %v with no gap: want the same within a quarter", afterIdle, busy)
		}
	}
}

// The time between New and the first request is idle time too: an
// instance that starts and waits for traffic (behind a slow rollout, say)
// meets its first burst with the limit it would have had at once.
func TestIdleTimeBeforeTheFirstRequestDoesNotCount(t *testing.T) {
	onset := func(wait time.Duration) []int {
		c := newClock()
		l := testLimiter(c, Config{Initial: 120, Min: 16, Target: 200 * time.Millisecond})
		c.add(wait)
		got := traffic(t, l, c, 3, 1, fixed(300*time.Millisecond))
		return append(got, traffic(t, l, c, 3, 1, cpuBound(600, 40*time.Millisecond))...)
	}
	atOnce, afterWait := onset(0), onset(6*time.Second)
	for i := range atOnce {
		if afterWait[i] < atOnce[i]*3/4 {
			t.Fatalf("limits of a first burst: %v 6 s after start, %v at once: want the same within a quarter", afterWait, atOnce)
		}
	}
}

// A downstream that is slow whatever the load keeps the limit up: the
// latency is the service's own (learned while the limit did not bind),
// and shedding would not make it faster.
func TestSlowDownstreamDoesNotTalkTheLimitDown(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 200, Min: 16, Target: 200 * time.Millisecond})
	slow := fixed(300 * time.Millisecond)
	traffic(t, l, c, 5, 0.3, slow)
	got := traffic(t, l, c, 10, 1, slow)
	for _, g := range got {
		if g < 200 {
			t.Fatalf("limits %v with a 300 ms downstream: want never below 200", got)
		}
	}
}

// A window whose traffic used less than half the limit says nothing about
// the limit: slow or fast, it stays.
func TestLightTrafficLeavesTheLimit(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 100, Max: 500})
	traffic(t, l, c, 5, 0.3, fixed(10*time.Millisecond))
	got := traffic(t, l, c, 5, 0.3, fixed(800*time.Millisecond))
	if got[len(got)-1] != 100 {
		t.Fatalf("limits %v under light traffic, want 100 throughout", got)
	}
}

// Requests whose latency is not sampled (mock scenarios) do not move it.
func TestUnsampledRequestsTeachNothing(t *testing.T) {
	c := newClock()
	l := testLimiter(c, Config{Initial: 50, Min: 10})
	traffic(t, l, c, 3, 1, fixed(10*time.Millisecond))
	limit := l.Limit()
	for range 20 {
		starts := make([]time.Time, 0, limit)
		for range limit {
			l.Acquire(context.Background())
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
		if l.Acquire(context.Background()) != Admitted {
			t.Fatal("request shed below the limit")
		}
	}
	got := make(chan int, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			if l.Acquire(context.Background()) == Admitted {
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
	short.Acquire(context.Background())
	if v := short.Acquire(context.Background()); v != ShedQueue || short.queued() != 0 {
		t.Fatalf("waited out its QueueWait: %v with %d queued, want ShedQueue and none", v, short.queued())
	}
	never := New(Config{Min: 1, Max: 1, QueueWait: -1})
	never.Acquire(context.Background())
	if v := never.Acquire(context.Background()); v != ShedLimit {
		t.Fatalf("no waiting allowed: %v, want ShedLimit", v)
	}
}

// A waiter whose client leaves as its slot comes does not take it: the
// slot goes to the next waiter, and the one that left is Gone, not shed.
func TestASlotGrantedToAGoneClientGoesToTheNext(t *testing.T) {
	for range 20 { // the grant and the cancel race both ways
		l := New(Config{Min: 2, Max: 2, QueueWait: 10 * time.Second}) // as many may wait as run
		for range 2 {
			if l.Acquire(context.Background()) != Admitted {
				t.Fatal("request shed below the limit")
			}
		}
		live, gone := make(chan Verdict, 1), make(chan Verdict, 1)
		ctx, cancel := context.WithCancel(context.Background())
		for i, w := range []struct {
			ctx context.Context
			got chan Verdict
		}{{context.Background(), live}, {ctx, gone}} { // the one that leaves is newest: granted first
			go func() { w.got <- l.Acquire(w.ctx) }()
			for deadline := time.Now().Add(5 * time.Second); l.queued() != i+1; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("waiter never queued")
				}
			}
		}
		cancel()
		l.Release(time.Now(), false)
		if v := <-gone; v != Gone {
			t.Fatalf("the waiter whose client left: %v, want Gone", v)
		}
		select {
		case v := <-live:
			if v != Admitted {
				t.Fatalf("the live waiter: %v, want Admitted", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the live waiter was not given the slot the gone one left")
		}
		if l.inflight != 2 || l.queued() != 0 {
			t.Fatalf("%d in flight, %d queued; want the live one running beside the first and none waiting", l.inflight, l.queued())
		}
	}
}

// Once requests have been shed for twice QueueWait without a pause as
// long, the overload is held: a request that finds the limit reached is
// shed at once instead of waiting. A pause in the sheds ends it, and a
// burst waits for a slot again.
func TestHeldOverloadShedsWithoutWaiting(t *testing.T) {
	const qw = 20 * time.Millisecond
	c := newClock()
	l := testLimiter(c, Config{Min: 1, Max: 1, QueueWait: qw})
	if l.Acquire(context.Background()) != Admitted {
		t.Fatal("request shed below the limit")
	}
	// Shed after waiting: the first run of sheds begins, and is not held
	// until it has lasted twice QueueWait.
	for range 2 {
		start := time.Now()
		if v := l.Acquire(context.Background()); v != ShedQueue {
			t.Fatalf("a burst's request: %v, want ShedQueue after waiting", v)
		}
		if waited := time.Since(start); waited < qw/2 {
			t.Fatalf("a burst's request waited %v, want about QueueWait", waited)
		}
		c.add(qw + qw/2)
	}
	// 30 ms since the run began, 30 ms since the last shed: held. ShedLimit
	// is only ever given without waiting.
	if v := l.Acquire(context.Background()); v != ShedLimit || l.queued() != 0 {
		t.Fatalf("a held overload's request: %v with %d queued, want ShedLimit and none", v, l.queued())
	}
	// No shed for more than twice QueueWait: a new burst waits again, and
	// gets the slot freed while it waits.
	c.add(3 * qw)
	got := make(chan Verdict, 1)
	go func() { got <- l.Acquire(context.Background()) }()
	for deadline := time.Now().Add(5 * time.Second); l.queued() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("after a pause in the sheds, a request did not wait")
		}
	}
	l.Release(c.Now(), false)
	if v := <-got; v != Admitted {
		t.Fatalf("the waiter: %v, want the freed slot", v)
	}
}
