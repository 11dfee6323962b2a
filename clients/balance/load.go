package balance

import (
	"math"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"mosaic/clients/contract"
)

// load is what the picker knows of one instance's load: a peak-EWMA latency
// estimate and the calls in flight. Times are nanoseconds on the balancer's
// monotonic clock. It lives as long as the instance stays resolved, across
// pickers, so a new picker (any readiness change) keeps what was learnt.
//
// Picks read it without locking: the estimate and its stamp are separate
// atomics, and a read that pairs one update's estimate with the next's
// stamp is off by one decay step, harmless to a heuristic. Observations
// serialize on mu, which only completions of calls to this same instance
// contend for.
type load struct {
	inflight atomic.Int64
	estimate atomic.Uint64 // float64 bits, nanoseconds
	stamp    atomic.Int64  // when estimate was last set

	measured atomic.Bool // an answer has replaced the unmeasured prior; set under mu

	mu sync.Mutex
}

// newLoad starts an instance at the unmeasured estimate, decaying from now
// like any other, as Linkerd does. It only counts while every instance it
// is compared with is unmeasured too (a cold start): see picker.choose.
func newLoad(unmeasured, now int64) *load {
	l := &load{}
	l.estimate.Store(math.Float64bits(float64(unmeasured)))
	l.stamp.Store(now)
	return l
}

// cost is the expected wait of one more call: the estimate, decayed toward
// zero for the time since it was last set (an idle instance is forgiven
// and tried again), times the calls that would be ahead of it.
func (l *load) cost(now int64, decay float64) float64 {
	return l.latency(now, decay) * float64(l.inflight.Load()+1)
}

// latency is the estimate decayed toward zero for the time since it was set.
func (l *load) latency(now int64, decay float64) float64 {
	est := math.Float64frombits(l.estimate.Load())
	if dt := now - l.stamp.Load(); dt > 0 {
		est *= math.Exp(-float64(dt) / decay)
	}
	return est
}

// observe folds in one latency. The first replaces the unmeasured prior,
// which was only a guess. Later, a latency above the estimate replaces it
// at once (the "peak": one slow answer is believed immediately); a lower
// one is blended in with a weight that grows with the time since the last
// observation, so the estimate forgets at the same pace whatever the rate
// of calls.
func (l *load) observe(rtt, now int64, decay float64) {
	r := float64(rtt)
	l.mu.Lock()
	defer l.mu.Unlock()
	est := math.Float64frombits(l.estimate.Load())
	if r < est && l.measured.Load() {
		dt := max(now-l.stamp.Load(), 0)
		w := math.Exp(-float64(dt) / decay)
		r = est*w + r*(1-w)
	}
	l.measured.Store(true)
	l.estimate.Store(math.Float64bits(r))
	l.stamp.Store(now)
}

// atLeast raises the estimate to rtt if it is lower, and leaves it alone
// otherwise: what a call cut short after rtt tells of the instance's
// latency is that it is no less than rtt. Raised, it counts as measured.
// Lower is against the estimate as picks see it, decayed: held against the
// stored peak, the cuts of a hung instance under a budget shorter than an
// old slow answer were ignored while that peak decayed to nothing, and the
// picker kept sending it calls that all timed out.
func (l *load) atLeast(rtt, now int64, decay float64) {
	r := float64(rtt)
	l.mu.Lock()
	defer l.mu.Unlock()
	if r > l.latency(now, decay) {
		l.measured.Store(true)
		l.estimate.Store(math.Float64bits(r))
		l.stamp.Store(now)
	}
}

// outcome says how a finished call informs the latency estimate.
type outcome int

const (
	// answered: the instance answered, possibly with an application
	// error (NotFound, InvalidArgument...); its latency counts as is.
	answered outcome = iota
	// cut: the caller gave up (cancel, deadline); the latency is only a
	// lower bound.
	cut
	// failed: the instance or its connection failed; the latency counts
	// as at least the error penalty.
	failed
	// unsent: the call never reached the instance (grpc re-picks when the
	// connection turns out not ready); nothing was learnt.
	unsent
)

func classify(err error, bytesSent bool) outcome {
	if err == nil {
		if !bytesSent {
			return unsent
		}
		return answered
	}
	switch c := status.Code(err); {
	case c == codes.Canceled || c == codes.DeadlineExceeded:
		return cut
	case contract.ServerFault(c):
		return failed
	}
	return answered
}

// finish records the end of one call started at start.
func (l *load) finish(o outcome, start, now int64, c *tuning) {
	l.inflight.Add(-1)
	rtt := max(now-start, 0)
	switch o {
	case answered:
		l.observe(rtt, now, c.decay)
	case cut:
		l.atLeast(rtt, now, c.decay)
	case failed:
		l.observe(max(rtt, c.errorPenalty), now, c.decay)
	}
}

// tuning is Config in the units the hot path wants.
type tuning struct {
	decay        float64 // nanoseconds
	unmeasured   int64
	errorPenalty int64
}

func tuningOf(c *Config) tuning {
	return tuning{decay: float64(c.Decay), unmeasured: int64(c.Unmeasured), errorPenalty: int64(c.ErrorPenalty)}
}
