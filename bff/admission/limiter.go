// Package admission decides which scene requests an instance starts. A
// fixed bound on requests in flight is either too low (it sheds what the
// instance could serve) or, as the old 512 was, far above what it can
// finish within a deadline (at ~3,500 req/s and ~35 ms, about 125 are
// useful): the excess only queues for the CPU and makes every request
// late. So the bound is learned, and a request that waited too long to
// start is dropped before it costs a downstream call.
//
// The limit is Little's law aimed at a latency: in flight = the
// throughput the instance has just shown × the latency requests may
// take (Target). Under overload the throughput is the capacity, so the
// limit admits just enough to keep the instance busy with every admitted
// request finishing near Target; below it the limit sits above what the
// traffic uses and sheds nothing. Target is an eighth of the scene
// deadline by default (bff/server/config.go), raised to Tolerance × the
// service's own latency when the downstreams are slow, so that a slow
// dependency, which shedding cannot cure, does not talk the limit down to
// nothing.
//
// The service's own latency is the least window latency seen while the
// limit did not bind (under half of it in use): only such windows are
// free of the queue the limit itself lets build up. The gradient limiters
// of Netflix's concurrency-limits (Gradient2) and Envoy compare latency
// with a baseline that, under a held overload, drifts up to the overload's
// own latency (measured here: goodput at 3× swung from 87% to 98% of the
// best between runs, and p99 past the deadline); Envoy re-measures its
// baseline by dropping the limit to a minimum every minute, which sheds
// even under light load. BBR-style limiting as in Kratos's aegis (max pass
// rate × min latency, gated by CPU use) is the same law aimed at the
// minimum latency; without its CPU gate it sheds whenever latency varies,
// and the gate reads a CPU average that lags by seconds and says nothing
// on a machine shared with other processes.
package admission

import (
	"context"
	"sync"
	"time"
)

// Config tunes a Limiter. The zero value of a field means its default.
type Config struct {
	// Min is the floor of the limit (default 64); Max the hard ceiling
	// (default 1024). Min = Max is a fixed bound. The floor is what stops
	// a collapse: when the instance's latency at capacity is above Target
	// (a CPU quota's stalls, a collector's cycle), throughput × Target is
	// below what it needs in flight to stay busy, its throughput falls
	// with the limit, and the limit with its throughput, window after
	// window. On the overload rig (BENCHMARKS.md) the limit rode down to
	// 36 and goodput halved; held at 64 or more it never did, and a limit
	// fixed at 64 served as much as any.
	Min, Max int
	// Initial is the limit at start (default 64, within [Min, Max]).
	Initial int
	// QueueWait bounds how long a request may wait for a slot (default
	// 50 ms), counted from Acquire: the server cannot see how long a
	// request sat in a socket before it was read. A request that finds the
	// limit reached waits up to that (the newest waiter first: it has the
	// most of its deadline left), then is shed. At most as many wait as
	// the limit admits; past that, a request is shed at once. Negative:
	// never wait. Once requests have been shed for twice QueueWait with no
	// pause as long (the overload is held, not a burst), none waits: the
	// next arrival takes a freed slot within a millisecond anyway, and a
	// wait (a timer, a parked goroutine, a lock to leave the queue) is
	// then only a cost every shed request pays out of the CPU the admitted
	// ones need. Interleaved on the overload rig, never waiting at 3× cut
	// the 200s' p50 and p99 by a fifth (BENCHMARKS.md).
	QueueWait time.Duration
	// Target is the latency the limit aims for when it binds (default
	// 100 ms): the limit is the recent throughput × Target.
	Target time.Duration
	// Tolerance: when the service's own latency (the least seen while the
	// limit did not bind) times Tolerance is above Target, the limit aims
	// for that instead (default 2).
	Tolerance float64
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
	def(&c.Min, 64)
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
	if c.Target <= 0 {
		c.Target = 100 * time.Millisecond
	}
	if c.Window <= 0 {
		c.Window = 100 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Verdict is what Acquire decided.
type Verdict uint8

// Verdicts, also the reasons a request is shed.
const (
	Admitted  Verdict = iota
	ShedLimit         // the limit was reached and no wait was possible
	ShedQueue         // the request waited QueueWait without starting
	// Gone: the client left before its request started. It is not shed
	// (nothing about the load refused it) and gets no answer.
	Gone
)

// Limiter is an adaptive bound on requests in flight.
type Limiter struct {
	cfg Config

	mu       sync.Mutex
	limit    float64
	inflight int
	waiters  []*waiter // a stack: the newest is granted first
	shedding time.Time // when the current run of sheds began
	lastShed time.Time
	idle     time.Time // when inflight last fell to 0
	win      window
	done     ring // completions in each of the last closed windows
	spans    ring // and their lengths, ns
	own      ring // mean latency (ns) of the last windows in which the limit did not bind
}

// ring keeps the last values put in it.
type ring struct {
	v    []float64
	next int
}

func newRing(n int) ring { return ring{v: make([]float64, 0, n)} }

func (r *ring) put(x float64) {
	if len(r.v) < cap(r.v) {
		r.v = append(r.v, x)
		return
	}
	r.v[r.next] = x
	r.next = (r.next + 1) % len(r.v)
}

func (r *ring) sum() float64 {
	var s float64
	for _, x := range r.v {
		s += x
	}
	return s
}

func (r *ring) min() float64 {
	var m float64
	for i, x := range r.v {
		if i == 0 || x < m {
			m = x
		}
	}
	return m
}

// rateWindows is how many closed windows (1 s at 100 ms) the throughput
// is measured over: all their completions over all their time, so that
// neither a window stalled by a GC pause or a CPU quota nor the burst of
// completions after it moves the limit much, and short enough to follow
// the instance when its downstreams slow.
const rateWindows = 10

// ownWindows is how many unbound windows the service's own latency is the
// least of. It is not a time: under a held overload no window is unbound,
// and the last known latency must hold rather than age into the
// overload's.
const ownWindows = 300

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
	l := &Limiter{cfg: cfg, limit: float64(cfg.Initial), done: newRing(rateWindows), spans: newRing(rateWindows), own: newRing(ownWindows)}
	l.win.start = cfg.Now()
	l.idle = l.win.start // idle since it started: the first burst may come much later
	cfg.Metrics.setLimit(l.limit)
	return l
}

// Limit is the current limit.
func (l *Limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit)
}

// Acquire asks to start a request. Admitted requests must call Release
// when done.
func (l *Limiter) Acquire(ctx context.Context) Verdict {
	if ctx.Err() != nil {
		return Gone
	}
	l.mu.Lock()
	now := l.cfg.Now()
	if len(l.waiters) == 0 {
		l.wake(now)
		if float64(l.inflight) < l.limit {
			l.take()
			l.mu.Unlock()
			return Admitted
		}
	}
	if l.cfg.QueueWait < 0 || len(l.waiters) >= int(l.limit) || l.held(now) {
		l.shed(now)
		l.mu.Unlock()
		return ShedLimit
	}
	w := &waiter{ch: make(chan struct{}, 1)}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	return l.wait(ctx, w, l.cfg.QueueWait)
}

// wait blocks until w is granted a slot, its time is up or ctx ends.
func (l *Limiter) wait(ctx context.Context, w *waiter, left time.Duration) Verdict {
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-w.ch:
		if ctx.Err() == nil {
			return Admitted
		}
	case <-t.C:
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case w.granted && ctx.Err() == nil: // the grant and the timeout crossed: the slot is ours
		return Admitted
	case w.granted: // the slot came as the client left: the next waiter gets it
		l.free(l.cfg.Now())
		l.grant()
		return Gone
	}
	for i, o := range l.waiters {
		if o == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			break
		}
	}
	if ctx.Err() != nil {
		return Gone
	}
	l.shed(l.cfg.Now())
	return ShedQueue
}

// shed notes a request shed at now: a gap of more than twice QueueWait
// since the last one starts a new run of sheds. Callers hold mu.
func (l *Limiter) shed(now time.Time) {
	if now.Sub(l.lastShed) > 2*l.cfg.QueueWait {
		l.shedding = now
	}
	l.lastShed = now
}

// held says whether the overload is held, not a burst: requests have been
// shed for twice QueueWait without a pause as long. Callers hold mu.
func (l *Limiter) held(now time.Time) bool {
	return !l.lastShed.IsZero() && now.Sub(l.lastShed) <= 2*l.cfg.QueueWait && now.Sub(l.shedding) >= 2*l.cfg.QueueWait
}

// wake starts a fresh window when a request arrives after the instance
// sat idle for a window or more: a window that spanned the gap would read
// its few completions over the whole gap as a throughput of a few a second,
// and the next windows over target would cut the limit toward Min at the
// onset of every burst. Shorter gaps are the traffic's own and stay in.
// Callers hold mu.
func (l *Limiter) wake(now time.Time) {
	if l.inflight == 0 && !l.idle.IsZero() && now.Sub(l.idle) >= l.cfg.Window {
		l.win = window{start: now}
	}
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
	l.free(now)
	if sample {
		l.win.sum += now.Sub(start)
		l.win.n++
		if l.win.n >= l.cfg.MinSamples && now.Sub(l.win.start) >= l.cfg.Window {
			l.update(now)
		}
	}
	l.grant()
}

// free gives a slot back at now. Callers hold mu.
func (l *Limiter) free(now time.Time) {
	if l.inflight--; l.inflight == 0 {
		l.idle = now
	}
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
	rate := float64(l.win.n) / float64(now.Sub(l.win.start))
	l.done.put(float64(l.win.n))
	l.spans.put(float64(now.Sub(l.win.start)))
	if float64(l.win.peak) < l.limit/2 {
		// The traffic, not the limit, set this window's concurrency: its
		// latency is the service's own, and says nothing about where the
		// limit should be.
		l.own.put(rtt)
	} else {
		l.limit = min(max(l.aim(rtt, rate), float64(l.cfg.Min)), float64(l.cfg.Max))
	}
	l.win = window{start: now, peak: l.inflight}
	l.cfg.Metrics.setLimit(l.limit)
}

// aim is where the limit goes after a window in which it bound, with mean
// latency rtt and throughput rate. Callers hold mu.
func (l *Limiter) aim(rtt, rate float64) float64 {
	target := max(float64(l.cfg.Target), l.cfg.Tolerance*l.own.min())
	recent := l.done.sum() / l.spans.sum()
	if rtt > target {
		// Over target: the throughput of the last second at the target
		// latency, but at most half off, so that one bad window (a GC
		// pause, a CPU stall) costs one step, not a collapse.
		return max(recent*target, l.limit/2)
	}
	// Within target: never shrink. This window's throughput counts too,
	// so that the limit climbs back at once after a stall has dragged the
	// last second's down; at most doubling, so that one window's burst
	// of completions cannot overshoot.
	return min(max(max(recent, rate)*target, l.limit), 2*l.limit)
}
