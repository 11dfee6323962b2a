package conn

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"mosaic/clients/contract"
)

// ErrCircuitOpen is returned, without calling the service, when the
// service's adaptive throttle refuses the call locally. Scenes report the
// section as degraded with reason circuit_open (the reason the API
// documents for "refused locally, the service is failing").
var ErrCircuitOpen = errors.New("circuit open")

// BreakerSettings tune one service's adaptive throttle, the client-side
// throttling of Google's SRE book ("Handling Overload"): over a sliding
// window, a call is refused locally with probability
//
//	max(0, (requests − K·accepts) / (requests + 1))
//
// where requests counts the calls attempted (refused ones included) and
// accepts the calls the service answered.
//
// Why this rather than a consecutive-failure breaker: a breaker flips every
// caller from "all calls" to "no calls" on a run of failures, and a run of
// five is likely at any steady error rate once traffic is high (at 30 %
// errors and 1,000 calls/s, about every half second), so a partly failing
// service was cut off entirely, for everyone, for its open time. The
// throttle degrades in proportion: below 1 − 1/K of failures (50 % with
// K = 2) it refuses nothing, above that it sends the service about K times
// what it is accepting. A dead service still gets 1 − MaxRefusal of the
// calls (5 %): the formula alone would leave it about one call per window,
// so that finding it healthy again would wait on a lucky probe; with a
// steady trickle the first successes arrive at once and the refusal rate
// then falls by half or more every window.
type BreakerSettings struct {
	// K is how many calls to send per call the service accepts; 2 as the
	// SRE book recommends. Lower refuses sooner.
	K float64
	// Window is how far back outcomes count.
	Window time.Duration
	// MinRequests is how many outcomes the window must hold before any
	// call is refused, so that one failure at low traffic refuses nothing.
	MinRequests int
	// MaxRefusal caps the refusal probability, so a failing service keeps
	// getting the probes that find it healthy again.
	MaxRefusal float64
}

// DefaultBreaker: K = 2 over one second, acting from 10 outcomes, refusing
// at most 95 % of calls.
func DefaultBreaker() BreakerSettings {
	return BreakerSettings{K: 2, Window: time.Second, MinRequests: 10, MaxRefusal: 0.95}
}

func (s BreakerSettings) withDefaults() BreakerSettings {
	d := DefaultBreaker()
	if s.K <= 0 {
		s.K = d.K
	}
	if s.Window <= 0 {
		s.Window = d.Window
	}
	if s.MinRequests <= 0 {
		s.MinRequests = d.MinRequests
	}
	if s.MaxRefusal <= 0 || s.MaxRefusal > 1 {
		s.MaxRefusal = d.MaxRefusal
	}
	return s
}

// outcome is what one call says about the service.
type outcome uint8

const (
	// callerDone and bffStarved: the call failed, and says nothing about
	// the service. The caller gave up (its deadline, its hang-up, a local
	// cancel), or the BFF's own timeout fired while it was short of CPU.
	// The failure's log line names which.
	callerDone outcome = iota
	bffStarved
	accepted // the service answered, even with "not found"
	failed   // the service failed
)

// buckets per window: outcomes age out in steps of Window/buckets.
const buckets = 10

type bucket struct{ requests, accepts int }

// throttle is one service's adaptive throttle, shared by every call to it.
type throttle struct {
	k        float64
	min      int
	cap      float64       // MaxRefusal
	width    time.Duration // of one bucket
	now      func() time.Time
	chance   func() float64 // uniform in [0, 1)
	onChange func(throttling bool)
	onRatio  func(p float64)

	mu         sync.Mutex
	ring       [buckets]bucket
	head       int       // bucket being filled
	headEnd    time.Time // when the head bucket stops filling
	requests   int       // sums over the ring
	accepts    int
	throttling bool
	inflight   int // calls allowed and not yet recorded
}

func newThrottle(s BreakerSettings) *throttle {
	s = s.withDefaults()
	return &throttle{
		k:      s.K,
		min:    s.MinRequests,
		cap:    s.MaxRefusal,
		width:  s.Window / buckets,
		now:    time.Now,
		chance: rand.Float64,
	}
}

// allow reports whether to make a call now; a refused call counts as a
// request the service did not accept, as the SRE formula has it.
func (t *throttle) allow() bool {
	t.mu.Lock()
	t.advance(t.now())
	p := t.ratio()
	refuse := p > 0 && t.chance() < p
	if refuse {
		t.ring[t.head].requests++
		t.requests++
	} else {
		t.inflight++
	}
	changed := (p > 0) != t.throttling
	t.throttling = p > 0
	// Reported under mu: a call that reported after unlocking could
	// publish its older ratio after a later call's newer one, and the gauge
	// would keep it until the service is called again.
	t.report(changed, p)
	t.mu.Unlock()
	return !refuse
}

// record counts the outcome of a call allow let through.
func (t *throttle) record(o outcome) {
	t.mu.Lock()
	t.inflight--
	if o != accepted && o != failed {
		t.mu.Unlock()
		return
	}
	t.advance(t.now())
	b := &t.ring[t.head]
	b.requests++
	t.requests++
	if o == accepted {
		b.accepts++
		t.accepts++
	}
	t.mu.Unlock()
}

// ratio is the refusal probability now. Callers hold mu.
func (t *throttle) ratio() float64 {
	if t.requests < t.min {
		return 0
	}
	p := (float64(t.requests) - t.k*float64(t.accepts)) / float64(t.requests+1)
	return min(t.cap, max(0, p))
}

// advance retires the buckets that have aged out by now. Callers hold mu.
func (t *throttle) advance(now time.Time) {
	if t.headEnd.IsZero() {
		t.headEnd = now.Add(t.width)
		return
	}
	for i := 0; i < buckets && !now.Before(t.headEnd); i++ {
		t.head = (t.head + 1) % buckets
		t.requests -= t.ring[t.head].requests
		t.accepts -= t.ring[t.head].accepts
		t.ring[t.head] = bucket{}
		t.headEnd = t.headEnd.Add(t.width)
	}
	if !now.Before(t.headEnd) { // idle for more than a window: all aged out
		t.headEnd = now.Add(t.width)
	}
}

func (t *throttle) report(changed bool, p float64) {
	if changed && t.onChange != nil {
		t.onChange(p > 0)
	}
	if t.onRatio != nil {
		t.onRatio(p)
	}
}

// serviceFault: the service is failing, not the request. Bad arguments
// or a missing entity say the service is answering.
func serviceFault(err error) bool {
	c := status.Code(err)
	return c == codes.DeadlineExceeded || contract.ServerFault(c)
}

// maxLanes bounds the colors that get a throttle of their own.
const maxLanes = 32

// lanes are the throttles of the colored lanes of one service, one a color,
// made at the color's first call. A lane fails on its own: a canary whose
// instances fail must not have the baseline's calls refused, nor a baseline
// outage a healthy canary's (a colored call goes to the baseline pool only
// when its lane has no instance, and then shares its fate through the
// answers, not the throttle). Colors come from clients, so past maxLanes
// the rest share one throttle, until a lane falls quiet (quiet) and its
// slot is given to the next color: a canary that ended, or colors a client
// made up, do not keep a lane that comes later in the shared throttle for
// the life of the process. Their refusals are counted as every call is
// (code circuit_open); the throttle gauges are the baseline lane's.
type lanes struct {
	settings BreakerSettings
	now      func() time.Time // nil: time.Now; the lanes' throttles' clock
	mu       sync.Mutex
	m        map[string]*throttle
	rest     *throttle
	// nextSweep: no sweep for quiet lanes before then. A client sending
	// a new color on every call would otherwise have each of them lock
	// and age all 32 throttles. The price: a lane that falls quiet just
	// after a sweep (its last call ended) keeps its slot until the next,
	// one bucket later, and new colors share rest meanwhile.
	nextSweep time.Time
}

// of is color's throttle.
func (l *lanes) of(color string) *throttle {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.m[color]; ok {
		return t
	}
	if now := l.clock(); len(l.m) >= maxLanes && !now.Before(l.nextSweep) {
		l.forgetQuiet()
		l.nextSweep = now.Add(l.settings.withDefaults().Window / buckets)
	}
	if len(l.m) >= maxLanes {
		if l.rest == nil {
			l.rest = l.newThrottle()
		}
		return l.rest
	}
	if l.m == nil {
		l.m = map[string]*throttle{}
	}
	t := l.newThrottle()
	l.m[color] = t
	return t
}

// forgetQuiet drops the lanes whose throttles are quiet: a new throttle
// is the same as one of those, so the lane loses nothing when its color
// comes back. A call under way keeps the throttle it took. Callers hold mu.
func (l *lanes) forgetQuiet() {
	for color, t := range l.m {
		if t.quiet() {
			delete(l.m, color)
		}
	}
}

func (l *lanes) newThrottle() *throttle {
	t := newThrottle(l.settings)
	t.now = l.clock
	return t
}

func (l *lanes) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

// quiet: no call is under way, and every outcome the throttle held has
// aged out of its window. A lane whose calls hang is not quiet before the
// first of them ends.
func (t *throttle) quiet() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(t.now())
	return t.inflight == 0 && t.requests == 0
}
