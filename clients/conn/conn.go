// Package conn dials downstream targets: it resolves the target schemes mosaic
// understands and installs what every downstream call goes through: a
// per-call timeout under the scene deadline, bounded retries of idempotent
// reads, an adaptive throttle per service, metadata forwarding and metrics.
package conn

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // client-side health checking for healthCheckConfig
	"google.golang.org/grpc/keepalive"

	"mosaic/clients/balance"
	"mosaic/internal/telemetry"
)

// Options configure the calls to one downstream service.
type Options struct {
	Metrics *Metrics
	// CallTimeout bounds one call (all its retries) below the scene
	// deadline; 0 leaves only the caller's deadline.
	CallTimeout time.Duration
	// Keepalive pings an instance after this long with nothing read from it
	// (gRPC takes 10 s at least), and closes the connection when no ACK
	// comes within 2 s; 0 sends no pings. See Dial.
	Keepalive time.Duration
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
	// Cluster is the BFF's own cluster: the balancer prefers its instances
	// and fails over to other clusters only when it has none ready.
	Cluster string
	// Policy replaces the load-balancing policy, e.g. "round_robin" to
	// compare with it; "" is mosaic's (package balance).
	Policy string
	// Logger, if set, gets a warning per failed call, with the request
	// and trace ids of the call's context.
	Logger *slog.Logger
	// TracerProvider, if set, gives every call a client span, carried
	// downstream by Propagator (W3C traceparent if nil). Without it,
	// Propagator, if set, passes the caller's trace on as it came.
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator
}

// serviceConfig retries reads that failed with UNAVAILABLE, at most twice
// more, with jittered backoff, never past the call's deadline. All
// downstream methods are idempotent batch reads. The retry throttle stops
// retrying once more than about one call in ten fails, so retries never
// multiply load on a struggling service. Client-side health checking
// watches each instance's overall health ("" service): an instance that
// says NOT_SERVING (draining, sick) is picked no more; one that does not
// implement the health service counts as healthy. %s is the balancing
// policy's config.
const serviceConfig = `{
  "loadBalancingConfig": [%s],
  "healthCheckConfig": {"serviceName": ""},
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

// balancer is the loadBalancingConfig entry for o: mosaic's lanes and
// load-aware policy (even over one address: its lane, health and cluster
// rules still apply), or the policy o forces, without config.
func balancer(o Options) (string, error) {
	policy, cfg := o.Policy, any(struct{}{})
	if policy == "" || policy == balance.Name {
		policy, cfg = balance.Name, map[string]string{"cluster": o.Cluster}
	}
	js, err := json.Marshal(map[string]any{policy: cfg})
	return string(js), err
}

// reconnect is gRPC's default backoff between tries to connect, capped at
// 2 s where gRPC's grows to 120 s: an instance back on its address after an
// outage of minutes (a restart, a partition, a cluster the balancer should
// return to) is called again within seconds, not up to two minutes later.
// A try at an address that is down costs a refused connection.
func reconnect() grpc.ConnectParams {
	return grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: time.Second, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
		MinConnectTimeout: 20 * time.Second, // gRPC's default
	}
}

// Dial returns a client connection to service at target, one of
// static:///host:port[,host:port...], dns:///name:port or etcd:///service
// (with the registry's resolver among extra).
//
// The connection resolves and connects at once, not on first use, and
// never goes idle. gRPC builds a channel's resolver when the channel leaves
// idle mode: at its first call, and again after every idle spell (30 min
// by default). With etcd:/// targets that resolver's first act is a list
// from the registry, so a lazy or idling channel asked for its first call
// while etcd is down has no addresses at all, where one resolved at start
// serves from its last list (as package registry promises) for as long as
// the registry is gone.
func Dial(service, target string, o Options, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	scheme, endpoint, ok := strings.Cut(target, ":///")
	if !ok {
		return nil, fmt.Errorf("downstream target %q: want scheme:///endpoint", target)
	}
	// A target that cannot resolve fails here, at start, rather than on
	// every call while the replica reports ready.
	switch scheme {
	case staticScheme:
		if _, err := parseStatic(endpoint); err != nil {
			return nil, fmt.Errorf("downstream target %q: %w", target, err)
		}
	case "dns", "etcd": // etcd's resolver comes with the registry, in extra
		if endpoint == "" || strings.ContainsAny(endpoint, " \t,") {
			return nil, fmt.Errorf("downstream target %q: want %s:///%s", target, scheme, map[string]string{"dns": "name:port", "etcd": "service"}[scheme])
		}
	default:
		return nil, fmt.Errorf("downstream target %q: unsupported scheme %q (static, dns, etcd)", target, scheme)
	}
	lb, err := balancer(o)
	if err != nil {
		return nil, fmt.Errorf("downstream %s: balancing policy: %w", service, err)
	}
	c := &caller{
		service:         service,
		throttle:        newThrottle(o.Breaker),
		lanes:           lanes{settings: o.Breaker},
		metrics:         o.Metrics.forService(service),
		logger:          telemetry.WithContextIDs(o.Logger),
		timeout:         o.CallTimeout,
		forwardScenario: o.ForwardScenario,
		starved:         o.Starved,
	}
	c.metrics.watch(c.throttle)
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(staticBuilder{}),
		grpc.WithDefaultServiceConfig(fmt.Sprintf(serviceConfig, lb)),
		// Ours, always: and gRPC's DNS resolver then skips the TXT lookup
		// of a service config (_grpc_config.<name>) it would otherwise
		// make at every resolution, and wait out where DNS drops it.
		grpc.WithDisableServiceConfig(),
		grpc.WithUnaryInterceptor(c.intercept),
		grpc.WithIdleTimeout(0), // never idle: see above
		grpc.WithConnectParams(reconnect()),
	}
	if o.Keepalive > 0 {
		// An instance that hangs (a frozen process, a deadlock) keeps its
		// TCP connection up and never says NOT_SERVING: without pings its
		// connection stays READY and the picker tries it again whenever its
		// latency estimate decays, failing a live call each time. Pings
		// close it; the reconnect never completes the handshake, so the
		// instance is out until it answers again. The health check's watch
		// keeps a stream open on every connection, so an idle connection is
		// pinged too: the servers must permit pings that often, and with no
		// call in flight (fakes.ServerOptions do), or they answer
		// too_many_pings, and gRPC doubles the interval for the channel.
		opts = append(opts, grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: o.Keepalive, Timeout: 2 * time.Second}))
	}
	if o.TracerProvider != nil {
		opts = append(opts, grpc.WithStatsHandler(tracer(o.TracerProvider, o.Propagator)))
	} else {
		c.propagator = o.Propagator
	}
	cc, err := grpc.NewClient(target, append(opts, extra...)...)
	if err != nil {
		return nil, err
	}
	cc.Connect() // resolve now: see above
	return cc, nil
}
