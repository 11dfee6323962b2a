// Package admission decides which scene requests an instance starts. A
// fixed bound on requests in flight is either too low (it sheds what the
// instance could serve) or, as the old 512 was, far above what it can
// finish within a deadline (at ~3,500 req/s and ~35 ms, about 125 are
// useful): the excess only queues for the CPU and makes every request
// late. So the bound is learned from latency, and a request that waited
// too long to start is dropped before it costs a downstream call.
//
// The limit follows the gradient of Netflix's concurrency-limits
// (Gradient2) and Envoy's adaptive concurrency filter: every window of
// samples, the mean latency of the window is compared with a long-term
// baseline; above Tolerance times the baseline the limit shrinks in
// proportion (at most by half per window), otherwise, if the window used
// at least half the limit, it grows by its square root. Two anchors keep
// it honest: a latency ceiling (half the scene deadline by
// default) above which the limit always shrinks, so a slowly drifting
// baseline cannot let latency creep past what the deadline allows; and a
// floor (Min), so an overload the limit cannot cure (the cost of shedding
// itself, a slow downstream) never collapses throughput to nothing.
//
// BBR-style limiting (in flight ≤ max pass rate × min latency, as in
// Kratos's aegis) was the alternative. Without its CPU gate it sheds at
// any load, because in flight exceeds rate × minimum latency whenever
// latency varies; with the gate it reacts to a CPU average that lags by
// seconds and says nothing on a machine shared with other processes. The
// gradient needs no CPU figure: queueing for the CPU shows up as latency
// within one window.
package admission

import (
	"context"
	"math"
	"sync"
	"time"
)

// Config tunes a Limiter. The zero value of a field means its default.
type Config struct {
	// Min is the floor of the limit (default 16); Max the hard ceiling
	// (default 1024). Min = Max is a fixed bound.
	Min, Max int
	// Initial is the limit at start (default 64, within [Min, Max]).
	Initial int
	// QueueWait bounds how long after it was read a request may start
	// (default 50 ms). A request that finds the limit reached waits up to
	// what is left of it for a slot (the newest waiter first: it has the
	// most of its deadline left), then is shed. At most as many wait as
	// the limit admits; past that, a request is shed at once. Negative:
	// never wait.
	QueueWait time.Duration
	// Tolerance is how far above its baseline the window's latency may be
	// before the limit shrinks (default 2).
	Tolerance float64
	// LatencyCeiling: a window whose mean latency is above it always
	// shrinks the limit. 0: none.
	LatencyCeiling time.Duration
	// Window is the shortest sampling window (default 100 ms); a window
	// also needs MinSamples samples (default 10).
	Window     time.Duration
	MinSamples int
	// Metrics may be nil.
	Metrics *Metrics
	// Now is the clock (default time.Now); tests pass a fake one.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Max, 1024)
	def(&c.Min, 16)
	c.Min = min(c.Min, c.Max)
	def(&c.Initial, 64)
	c.Initial = min(max(c.Initial, c.Min), c.Max)
	def(&c.MinSamples, 10)
	if c.QueueWait == 0 {
		c.QueueWait = 50 * time.Millisecond
	}
	if c.Tolerance <= 1 {
		c.Tolerance = 2
	}
	if c.Window <= 0 {
		c.Window = 100 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// baseWindows is the time constant of the latency baseline, in windows
// (10 s at 100 ms windows): slow enough that an overload's latency does not
// become the new normal within a burst, fast enough to follow a change in
// the traffic mix or in the downstreams.
const baseWindows = 100

// Verdict is what Acquire decided.
type Verdict uint8

// Verdicts, also the reasons a request is shed.
const (
	Admitted  Verdict = iota
	ShedLimit         // the limit was reached and no wait was possible
	ShedQueue         // the request waited QueueWait without starting
)

// Limiter is an adaptive bound on requests in flight.
type Limiter struct {
	cfg Config

	mu       sync.Mutex
	limit    float64
	inflight int
	waiters  []*waiter // a stack: the newest is granted first
	win      window
	base     float64                                      // baseline latency, ns
	recent   [capacityWindows]struct{ rate, rtt float64 } // closed windows: completions/ns, mean latency ns
	next     int                                          // where the next closed window goes in recent
}

// capacityWindows is how many closed windows (10 s at 100 ms) the capacity
// estimate remembers: long enough that a few windows of overload, in which
// fewer requests complete, do not talk the estimate down.
const capacityWindows = 100

// capacity is the concurrency that carried the best recent throughput at
// the best recent latency (Little's law, as Kratos's BBR limiter estimates
// it: max pass rate × min latency). The gradient never shrinks the limit
// below it: fewer in flight could not reach the throughput this instance
// has just shown it has, and that collapse, not the queue, is what loses
// goodput under overload. Callers hold mu.
func (l *Limiter) capacity() float64 {
	var rate, rtt float64
	for _, w := range l.recent {
		if w.rtt == 0 {
			continue
		}
		rate = max(rate, w.rate)
		if rtt == 0 || w.rtt < rtt {
			rtt = w.rtt
		}
	}
	return math.Ceil(rate * rtt)
}

type waiter struct {
	ch      chan struct{} // buffered: a grant never blocks the granter
	granted bool          // under Limiter.mu
}

type window struct {
	start time.Time
	sum   time.Duration
	n     int
	peak  int // most requests in flight during the window
}

// New returns a Limiter.
func New(cfg Config) *Limiter {
	cfg = cfg.withDefaults()
	l := &Limiter{cfg: cfg, limit: float64(cfg.Initial)}
	l.win.start = cfg.Now()
	cfg.Metrics.setLimit(l.limit)
	return l
}

// Limit is the current limit.
func (l *Limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit)
}

// Acquire asks to start a request read at arrival. Admitted requests must
// call Release when done.
func (l *Limiter) Acquire(ctx context.Context, arrival time.Time) Verdict {
	left := l.cfg.QueueWait - l.cfg.Now().Sub(arrival)
	if l.cfg.QueueWait > 0 && left <= 0 {
		return ShedQueue // it queued before it reached us: too late to start
	}
	l.mu.Lock()
	if len(l.waiters) == 0 && float64(l.inflight) < l.limit {
		l.take()
		l.mu.Unlock()
		return Admitted
	}
	if l.cfg.QueueWait < 0 || len(l.waiters) >= int(l.limit) {
		l.mu.Unlock()
		return ShedLimit
	}
	w := &waiter{ch: make(chan struct{}, 1)}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	return l.wait(ctx, w, left)
}

// wait blocks until w is granted a slot, its time is up or ctx ends.
func (l *Limiter) wait(ctx context.Context, w *waiter, left time.Duration) Verdict {
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-w.ch:
		return Admitted
	case <-t.C:
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w.granted { // the grant and the timeout crossed: the slot is ours
		return Admitted
	}
	for i, o := range l.waiters {
		if o == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			break
		}
	}
	return ShedQueue
}

func (l *Limiter) take() {
	l.inflight++
	l.win.peak = max(l.win.peak, l.inflight)
}

// Release ends a request admitted at start. sample says whether its latency
// teaches the limiter anything: a request with an injected mock scenario
// (a deliberate timeout, say) does not.
func (l *Limiter) Release(start time.Time, sample bool) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	if sample {
		l.win.sum += now.Sub(start)
		l.win.n++
		if l.win.n >= l.cfg.MinSamples && now.Sub(l.win.start) >= l.cfg.Window {
			l.update(now)
		}
	}
	l.grant()
}

// grant hands free slots to waiters, newest first. Callers hold mu.
func (l *Limiter) grant() {
	for len(l.waiters) > 0 && float64(l.inflight) < l.limit {
		n := len(l.waiters) - 1
		w := l.waiters[n]
		l.waiters[n] = nil
		l.waiters = l.waiters[:n]
		w.granted = true
		l.take()
		w.ch <- struct{}{}
	}
}

// update closes the sampling window and moves the limit. Callers hold mu.
func (l *Limiter) update(now time.Time) {
	rtt := float64(l.win.sum) / float64(l.win.n)
	if l.base == 0 {
		l.base = rtt
	} else {
		l.base += (rtt - l.base) / baseWindows
	}
	// After an overload the baseline may sit far above what latency is
	// again: let it come down faster than the average would (Gradient2).
	if l.base > 2*rtt {
		l.base *= 0.95
	}
	g := math.Min(1, l.cfg.Tolerance*l.base/rtt)
	floor := float64(l.cfg.Min)
	if c := float64(l.cfg.LatencyCeiling); c > 0 && rtt > c {
		g = math.Min(g, c/rtt)
	} else {
		// Below the ceiling, shrink no further than the capacity shown.
		floor = math.Max(floor, math.Min(l.capacity(), l.limit))
	}
	g = math.Max(g, 0.5) // one bad window must not halve the limit more than once
	// With less than half the limit in use, the traffic, not the limit,
	// set this window's concurrency: its latency says nothing about
	// where the limit should be (Gradient2 skips such windows too).
	l.recent[l.next] = struct{ rate, rtt float64 }{float64(l.win.n) / float64(now.Sub(l.win.start)), rtt}
	l.next = (l.next + 1) % capacityWindows
	switch {
	case float64(l.win.peak) < l.limit/2:
	case g < 1:
		l.limit = math.Max(floor, l.limit*g)
	default:
		l.limit = math.Min(float64(l.cfg.Max), l.limit+math.Sqrt(l.limit))
	}
	l.win = window{start: now, peak: l.inflight}
	l.cfg.Metrics.setLimit(l.limit)
}
