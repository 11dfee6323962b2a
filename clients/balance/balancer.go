package balance

import (
	"sync"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/balancer/endpointsharding"
	"google.golang.org/grpc/balancer/pickfirst"
	"google.golang.org/grpc/resolver"

	"mosaic/clients/instance"
)

// lanesBalancer manages one pick_first child per instance through grpc's
// endpointsharding (connection, reconnection with backoff and client-side
// health checking are theirs) and replaces the round-robin picker it
// produces with one that picks by lane, cluster and load. It embeds the
// parent ClientConn to intercept the children's aggregated UpdateState.
type lanesBalancer struct {
	balancer.ClientConn
	child balancer.Balancer
	epoch time.Time

	// mu guards cfg and loads against UpdateState, which endpointsharding
	// calls from its children's goroutines as well as inline.
	mu    sync.Mutex
	cfg   *Config
	loads *resolver.EndpointMap[*load]
}

func newBalancer(cc balancer.ClientConn, opts balancer.BuildOptions, epoch time.Time) *lanesBalancer {
	def, _ := ParseConfig(nil)
	b := &lanesBalancer{ClientConn: cc, epoch: epoch, cfg: def, loads: resolver.NewEndpointMap[*load]()}
	b.child = endpointsharding.NewBalancer(b, opts, balancer.Get(pickfirst.Name).Build, endpointsharding.Options{})
	return b
}

// clock is nanoseconds since the balancer started, on the monotonic clock.
func (b *lanesBalancer) clock() int64 { return int64(time.Since(b.epoch)) }

func (b *lanesBalancer) UpdateClientConnState(s balancer.ClientConnState) error {
	if cfg, ok := s.BalancerConfig.(*Config); ok && cfg != nil {
		b.mu.Lock()
		b.cfg = cfg
		b.mu.Unlock()
	}
	// The children are pick_first with the health listener on: they report
	// READY only while the instance's health (when the service config asks
	// for health checking) says SERVING. They get no config of ours.
	return b.child.UpdateClientConnState(balancer.ClientConnState{
		ResolverState: pickfirst.EnableHealthListener(s.ResolverState),
	})
}

// UpdateState receives endpointsharding's state, whose picker carries every
// child's state, and sends up a picker of ours built from them.
func (b *lanesBalancer) UpdateState(s balancer.State) {
	states := endpointsharding.ChildStatesFromPicker(s.Picker)
	if len(states) == 0 {
		// No instance at all: endpointsharding's error picker says why
		// (a resolver error, an empty list).
		b.ClientConn.UpdateState(s)
		return
	}
	b.mu.Lock()
	now := b.clock()
	tune := tuningOf(b.cfg)
	loads := resolver.NewEndpointMap[*load]()
	children := make([]child, 0, len(states))
	for _, cs := range states {
		l, ok := b.loads.Get(cs.Endpoint)
		if !ok {
			l = newLoad(tune.unmeasured, now)
		}
		loads.Set(cs.Endpoint, l)
		children = append(children, child{
			inst:   instanceOf(cs.Endpoint),
			state:  cs.State.ConnectivityState,
			picker: cs.State.Picker,
			load:   l,
		})
	}
	b.loads = loads // instances no longer resolved are forgotten
	p, state := newPicker(children, b.cfg.Cluster, tune, b.clock)
	b.mu.Unlock()
	b.ClientConn.UpdateState(balancer.State{ConnectivityState: state, Picker: p})
}

// instanceOf reads the instance from the endpoint's first address: the
// resolvers mosaic uses give one address per endpoint.
func instanceOf(e resolver.Endpoint) instance.Instance {
	if len(e.Addresses) == 0 {
		return instance.Instance{}
	}
	return instance.From(e.Addresses[0])
}

func (b *lanesBalancer) ResolverError(err error) { b.child.ResolverError(err) }

func (b *lanesBalancer) UpdateSubConnState(sc balancer.SubConn, s balancer.SubConnState) {
	// Deprecated in grpc; subchannel states reach the children through
	// their own listeners.
	b.child.UpdateSubConnState(sc, s)
}

func (b *lanesBalancer) ExitIdle() { b.child.ExitIdle() }

func (b *lanesBalancer) Close() { b.child.Close() }
