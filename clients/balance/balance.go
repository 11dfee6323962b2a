// Package balance is mosaic's gRPC load-balancing policy, registered as
// "mosaic_lanes". For every call it chooses, in order:
//
//  1. the lane: the ready (connected and health-checked) instances of the
//     call's traffic color (metadata x-color), or, when that color has none,
//     the baseline (uncolored) instances; an uncolored call only ever goes
//     to the baseline;
//  2. the cluster: within the lane, the ready instances of the BFF's own
//     cluster, or every other cluster's when it has none, so traffic fails
//     over and comes back as readiness changes;
//  3. the instance: power of two choices on peak-EWMA latency × (in-flight
//     + 1), divided by the instance's weight, so one slow instance does not
//     set the tail of every screen.
//
// Instances are the resolver's addresses; their color, cluster and weight
// come from clients/instance. Each address gets a pick_first child (through
// grpc's endpointsharding, as round_robin does) with the health listener on,
// so a channel whose service config has healthCheckConfig stops picking an
// instance that reports NOT_SERVING. See docs/ARCHITECTURE.md ("Service
// governance").
package balance

import (
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/serviceconfig"
)

// Name is the policy's name in a service config's loadBalancingConfig.
const Name = "mosaic_lanes"

// Defaults of Config's tuning fields.
const (
	// DefaultDecay is the EWMA's time constant, Linkerd's and Finagle's:
	// an instance found slow is tried again only once its estimate has
	// decayed to its peers' cost, some tens of seconds for one 40× slower.
	// Much shorter (Kratos's 600 ms) probes a slow instance every second
	// or so, each probe a request in the tail.
	DefaultDecay = 10 * time.Second
	// DefaultUnmeasured is the latency assumed of an instance never
	// measured when compared with another never measured (a cold start),
	// Linkerd's default RTT. Against a measured peer a new instance is
	// presumed as fast as that peer instead.
	DefaultUnmeasured = 30 * time.Millisecond
	// DefaultErrorPenalty is the latency charged for a call the instance
	// failed (UNAVAILABLE, INTERNAL...), so an instance that fails fast
	// does not look fast and attract the traffic.
	DefaultErrorPenalty = 250 * time.Millisecond
)

// Config is the policy's configuration, e.g. {"cluster": "c1"}. Durations
// are Go duration strings ("1s", "30ms").
type Config struct {
	serviceconfig.LoadBalancingConfig `json:"-"`

	// Cluster is the BFF's own cluster, whose instances are preferred; ""
	// prefers none.
	Cluster string
	// Decay is the EWMA's time constant: how fast a past latency is
	// forgotten, both as new observations arrive and while an instance
	// is idle.
	Decay time.Duration
	// Unmeasured is the latency assumed of an instance before its first
	// answer.
	Unmeasured time.Duration
	// ErrorPenalty is the least latency recorded for a failed call.
	ErrorPenalty time.Duration
}

type jsonConfig struct {
	Cluster      string `json:"cluster"`
	Decay        string `json:"decay"`
	Unmeasured   string `json:"unmeasured"`
	ErrorPenalty string `json:"errorPenalty"`
}

// ParseConfig reads a Config from its JSON form, filling defaults.
func ParseConfig(js []byte) (*Config, error) {
	var raw jsonConfig
	if len(js) > 0 {
		if err := json.Unmarshal(js, &raw); err != nil {
			return nil, fmt.Errorf("%s config: %w", Name, err)
		}
	}
	c := &Config{Cluster: raw.Cluster}
	for _, f := range []struct {
		name string
		in   string
		def  time.Duration
		out  *time.Duration
	}{
		{"decay", raw.Decay, DefaultDecay, &c.Decay},
		{"unmeasured", raw.Unmeasured, DefaultUnmeasured, &c.Unmeasured},
		{"errorPenalty", raw.ErrorPenalty, DefaultErrorPenalty, &c.ErrorPenalty},
	} {
		*f.out = f.def
		if f.in == "" {
			continue
		}
		d, err := time.ParseDuration(f.in)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s config: %s: want a positive duration such as \"1s\", got %q", Name, f.name, f.in)
		}
		*f.out = d
	}
	return c, nil
}

// builder is what grpc's balancer registry holds.
type builder struct{}

// grpc's registry is process-wide by design: policies register by name in
// init and service configs refer to them by that name.
func init() { balancer.Register(builder{}) }

func (builder) Name() string { return Name }

func (builder) ParseConfig(js json.RawMessage) (serviceconfig.LoadBalancingConfig, error) {
	return ParseConfig(js)
}

func (builder) Build(cc balancer.ClientConn, opts balancer.BuildOptions) balancer.Balancer {
	return newBalancer(cc, opts, time.Now())
}
