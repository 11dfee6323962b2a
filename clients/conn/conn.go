// Package conn dials downstream targets: it resolves the target schemes mosaic
// understands and installs what every downstream call goes through: a
// per-call timeout under the scene deadline, bounded retries of idempotent
// reads, an adaptive throttle per service, metadata forwarding and metrics.
package conn

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Options configure the calls to one downstream service.
type Options struct {
	Metrics *Metrics
	// CallTimeout bounds one call (all its retries) below the scene
	// deadline; 0 leaves only the caller's deadline.
	CallTimeout time.Duration
	// Breaker tunes the adaptive throttle that refuses calls to a failing
	// service; the zero value uses DefaultBreaker.
	Breaker BreakerSettings
	// Starved reports whether this process has lately been short of CPU
	// (e.g. admission.Starvation.Starved); while it is, the BFF's own
	// per-call timeouts are not held against the service. Nil: only a
	// call's own lateness can tell.
	Starved func() bool
	// ForwardScenario carries X-Mock-Scenario to the downstream. Only mock
	// mode sets it: real services never see the header.
	ForwardScenario bool
}

// serviceConfig retries reads that failed with UNAVAILABLE, at most twice
// more, with jittered backoff, never past the call's deadline. All
// downstream methods are idempotent batch reads. The retry throttle stops
// retrying once more than about one call in ten fails, so retries never
// multiply load on a struggling service. %s is the balancing policy.
const serviceConfig = `{
  "loadBalancingConfig": [{"%s": {}}],
  "methodConfig": [{
    "name": [{}],
    "retryPolicy": {
      "maxAttempts": 3,
      "initialBackoff": "0.01s",
      "maxBackoff": "0.05s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }],
  "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1}
}`

// balancer spreads calls over every resolved instance (round_robin, not
// grpc's default pick_first), except for a static target of one address,
// where there is nothing to spread and pick_first is the cheaper picker.
func balancer(scheme, endpoint string) string {
	if scheme == staticScheme && !strings.Contains(endpoint, ",") {
		return "pick_first"
	}
	return "round_robin"
}

// Dial returns a client connection to service at target, one of
// static:///host:port[,host:port...] or dns:///name:port.
// The connection is lazy: it connects on first use.
func Dial(service, target string, o Options, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	scheme, endpoint, ok := strings.Cut(target, ":///")
	if !ok {
		return nil, fmt.Errorf("downstream target %q: want scheme:///endpoint", target)
	}
	switch scheme {
	case staticScheme, "dns":
	default:
		return nil, fmt.Errorf("downstream target %q: unsupported scheme %q (static, dns)", target, scheme)
	}
	c := &caller{
		service:         service,
		throttle:        newThrottle(o.Breaker),
		metrics:         o.Metrics.forService(service),
		timeout:         o.CallTimeout,
		forwardScenario: o.ForwardScenario,
		starved:         o.Starved,
	}
	c.metrics.watch(c.throttle)
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(staticBuilder{}),
		grpc.WithDefaultServiceConfig(fmt.Sprintf(serviceConfig, balancer(scheme, endpoint))),
		grpc.WithUnaryInterceptor(c.intercept),
	}
	return grpc.NewClient(target, append(opts, extra...)...)
}
