package balance

import (
	"fmt"
	"math"
	"math/rand/v2"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"

	"mosaic/clients/contract"
	"mosaic/clients/instance"
)

// child is one instance as the picker is built from it.
type child struct {
	inst   instance.Instance
	state  connectivity.State
	picker balancer.Picker // the instance's pick_first picker
	load   *load
}

// member is one ready instance of a pool.
type member struct {
	picker balancer.Picker
	load   *load
	weight float64 // ≥ 1
}

// picker is immutable once built: a new one replaces it on every change of
// any instance's readiness, so the lane and cluster choices are made here,
// once, and a pick is a map lookup plus two cost reads.
type picker struct {
	// lanes maps a color ("" is the baseline) to its pool: the ready
	// instances of that color in the preferred cluster, or in the others
	// when it has none. Colors without a ready instance are absent.
	lanes map[string][]member
	// pending holds the colors with an instance still connecting: a call
	// whose pools are all empty waits for them rather than failing.
	pending map[string]bool
	tune    tuning
	clock   func() int64
}

// newPicker sorts the instances into pools and returns the picker with the
// channel state it implies: READY if any instance is, else CONNECTING if any
// is on its way, else TRANSIENT_FAILURE.
func newPicker(children []child, cluster string, tune tuning, clock func() int64) (*picker, connectivity.State) {
	local := map[string][]member{}
	other := map[string][]member{}
	p := &picker{lanes: map[string][]member{}, pending: map[string]bool{}, tune: tune, clock: clock}
	state := connectivity.TransientFailure
	for _, c := range children {
		switch c.state {
		case connectivity.Ready:
			m := member{picker: c.picker, load: c.load, weight: float64(max(c.inst.Weight, 1))}
			if cluster == "" || c.inst.Cluster == cluster {
				local[c.inst.Color] = append(local[c.inst.Color], m)
			} else {
				other[c.inst.Color] = append(other[c.inst.Color], m)
			}
			state = connectivity.Ready
		case connectivity.Connecting, connectivity.Idle:
			p.pending[c.inst.Color] = true
			if state != connectivity.Ready {
				state = connectivity.Connecting
			}
		}
	}
	for color, ms := range local {
		p.lanes[color] = ms
	}
	for color, ms := range other {
		if _, ok := p.lanes[color]; !ok {
			p.lanes[color] = ms
		}
	}
	return p, state
}

// Pick chooses the pool by the call's color, then the instance in it, and
// counts the call in flight until its Done.
func (p *picker) Pick(info balancer.PickInfo) (balancer.PickResult, error) {
	color := colorOf(info)
	pool, ok := p.lanes[color]
	if !ok {
		pool, ok = p.lanes[""]
	}
	if !ok {
		return balancer.PickResult{}, p.empty(color)
	}
	now := p.clock()
	m := p.choose(pool, now)
	res, err := m.picker.Pick(info)
	if err != nil {
		return res, err
	}
	l, tune, clock, next := m.load, &p.tune, p.clock, res.Done
	l.inflight.Add(1)
	// One closure per call: Done needs this call's start. Pooling the
	// closures would save the allocation but would let a second Done
	// (grpc calls it once today) corrupt another call's accounting.
	res.Done = func(di balancer.DoneInfo) {
		l.finish(classify(di.Err, di.BytesSent), now, clock(), tune)
		if next != nil {
			next(di)
		}
	}
	return res, nil
}

// colorOf is the call's traffic color, "" when it has none.
// ValueFromOutgoingContext reads the one key without copying the metadata.
func colorOf(info balancer.PickInfo) string {
	if info.Ctx == nil {
		return ""
	}
	if vs := metadata.ValueFromOutgoingContext(info.Ctx, contract.ColorKey); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// empty is the answer when neither the call's lane nor the baseline has a
// ready instance. While one of them is still connecting (the channel's
// first calls, an instance coming back), the call waits for the next
// picker, as grpc's own policies do, bounded by its deadline. When all are
// down, it fails at once with UNAVAILABLE (a plain error, so a
// wait-for-ready call still waits): queueing would only turn an outage into
// timeouts and hold the scene's goroutines.
func (p *picker) empty(color string) error {
	if p.pending[color] || p.pending[""] {
		return balancer.ErrNoSubConnAvailable
	}
	if color == "" {
		return fmt.Errorf("%s: no ready baseline instance", Name)
	}
	return fmt.Errorf("%s: no ready instance of color %q nor of the baseline", Name, color)
}

// choose is power of two choices: two distinct members at random, the one
// with the lower cost per unit of weight. Comparing two random members
// rather than scanning for the least keeps a pick O(1) and avoids the herd
// that always sending to the current least-loaded instance causes.
func (p *picker) choose(pool []member, now int64) *member {
	n := len(pool)
	if n == 1 {
		return &pool[0]
	}
	r := rand.Uint64()
	i := int((r >> 32) % uint64(n))
	j := int((r & math.MaxUint32) % uint64(n-1))
	if j >= i {
		j++
	}
	a, b := &pool[i], &pool[j]
	la, lb := a.load.latency(now, p.tune.decay), b.load.latency(now, p.tune.decay)
	// An instance never measured is presumed as fast as the measured one it
	// is compared with: it takes calls at once, as many as its in-flight
	// count allows against its peer's, and its first answer puts the guess
	// right. Its prior alone would, at Linkerd's 30 ms against peers of
	// 1 ms, leave it idle for a minute of decay.
	if ma, mb := a.load.measured.Load(), b.load.measured.Load(); ma != mb {
		if ma {
			lb = la
		} else {
			la = lb
		}
	}
	if lb*float64(b.load.inflight.Load()+1)/b.weight < la*float64(a.load.inflight.Load()+1)/a.weight {
		return b
	}
	return a
}
