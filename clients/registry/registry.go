// Package registry is service discovery on etcd: a Registrar that keeps an
// instance's keys alive under a lease, and a gRPC resolver for etcd:///service
// targets that lists, then watches, those keys.
//
// The layout is one key per (service, instance), under Prefix:
//
//	/mosaic/services/<service>/<instance-id> = {"addr":"h:p","color":"canary",...}
//
// whose value is the JSON of an instance.Instance. Both halves are built to
// outlive the registry's faults (etcd restarted, partitioned, compacted): the
// registrar re-registers for as long as it lives, and the resolver keeps its
// last good list while it re-lists. See docs/ARCHITECTURE.md ("Service
// governance").
package registry

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"mosaic/clients/instance"
)

const (
	// Prefix is where services are registered, unless WithPrefix says
	// otherwise.
	Prefix = "/mosaic/services/"
	// Scheme is the resolver's target scheme: etcd:///<service>.
	Scheme = "etcd"
	// DefaultTTL is the lease TTL: an instance that dies without deregistering
	// is gone from every resolver within it.
	DefaultTTL = 5 * time.Second
	// MaxTTL is the longest TTL WithTTL accepts.
	MaxTTL = 10 * time.Second
)

// Key is the key of instance id of service under prefix.
func Key(prefix, service, id string) string { return servicePrefix(prefix, service) + id }

// servicePrefix ends with "/" so that service "stat" does not list "stats".
func servicePrefix(prefix, service string) string {
	return strings.TrimSuffix(prefix, "/") + "/" + service + "/"
}

// Filter picks the instances a resolver reports, from every instance
// registered for service (sorted by key). The BFF uses it for subsetting.
type Filter func(service string, all []instance.Instance) []instance.Instance

// Backoff is a capped exponential backoff with jitter: the n-th consecutive
// failure waits a random time in [d/2, d), d = min(Max, Base·2^(n-1)).
// Jitter spreads a fleet that lost etcd together so it does not come back in
// one burst.
type Backoff struct {
	Base, Max time.Duration
}

// DefaultBackoff retries quickly at first, and at most every 2 s: well within
// DefaultTTL, so that an instance is back soon after etcd is.
func DefaultBackoff() Backoff {
	return Backoff{Base: 100 * time.Millisecond, Max: 2 * time.Second}
}

// Delay is the wait before retry n (n ≥ 1).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// Option configures NewRegistrar, NewBuilder and WatchPeers; each reads
// the options that concern what it does.
type Option func(*options)

type options struct {
	prefix    string
	ttl       time.Duration
	backoff   Backoff
	opTimeout time.Duration
	check     time.Duration
	filter    Filter
	subscribe func() (changed <-chan struct{}, cancel func())
	logf      func(format string, args ...any)
	infof     func(format string, args ...any) // nil: logf
	metrics   *Metrics                         // nil: none
}

func newOptions(opts []Option) options {
	o := options{
		prefix:    Prefix,
		ttl:       DefaultTTL,
		backoff:   DefaultBackoff(),
		opTimeout: 3 * time.Second,
		check:     5 * time.Second,
		logf:      func(string, ...any) {},
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithPrefix sets the key prefix (default Prefix).
func WithPrefix(p string) Option { return func(o *options) { o.prefix = p } }

// WithTTL sets the registrar's lease TTL, whole seconds from 1 s to MaxTTL.
func WithTTL(d time.Duration) Option { return func(o *options) { o.ttl = d } }

// WithBackoff sets the retry backoff of both the registrar and the resolver.
func WithBackoff(b Backoff) Option { return func(o *options) { o.backoff = b } }

// WithTimeout bounds each etcd request (default 3 s), so a request to an
// unreachable etcd fails and is retried instead of hanging.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.opTimeout = d } }

// WithRevisionCheck sets how often a watch of the resolver (and of Peers)
// asks etcd whether its revision went back, which a watch resumed by etcd's
// client cannot see (default 5 s; see keys).
func WithRevisionCheck(d time.Duration) Option { return func(o *options) { o.check = d } }

// WithFilter sets the resolver's filter (default: every instance).
func WithFilter(f Filter) Option { return func(o *options) { o.filter = f } }

// WithRefilter makes the resolver apply its filter again, to the same
// instances, whenever a channel from subscribe fires: the filter depends on
// more than the instances (a subset on the set of BFF replicas). cancel
// ends the subscription when the resolver closes.
func WithRefilter(subscribe func() (changed <-chan struct{}, cancel func())) Option {
	return func(o *options) { o.subscribe = subscribe }
}

// WithLogf logs what the registry goes through: leases lost, re-lists, bad
// values (default: nothing).
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *options) { o.logf = logf }
}

// WithInfof logs the good news apart (registered, etcd answering again),
// so that an alert on what WithLogf logs is not set off by a recovery
// (default: WithLogf's).
func WithInfof(infof func(format string, args ...any)) Option {
	return func(o *options) { o.infof = infof }
}

// logged reports whether try n of an operation that keeps failing is
// logged: the first, then at doubling counts (1, 2, 4, 8…). etcd away for
// an hour is then a dozen lines per service rather than a thousand, which
// would bury every other line; for the lists, bff_registry_reachable
// tells the rest.
func logged(n int) bool { return n > 0 && n&(n-1) == 0 }

// nextLogged tells a logged try's reader when the next line comes, so
// that the silence after it does not read as a recovery.
func nextLogged(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf("; the next line at try %d", 2*n)
}

// info logs good news.
func (o options) info(format string, args ...any) {
	if o.infof != nil {
		o.infof(format, args...)
		return
	}
	o.logf(format, args...)
}

func (o options) validate() error {
	switch {
	case o.ttl < time.Second || o.ttl > MaxTTL || o.ttl%time.Second != 0:
		return fmt.Errorf("registry: TTL %v: want whole seconds from 1s to %v", o.ttl, MaxTTL)
	case o.backoff.Base <= 0 || o.backoff.Max < o.backoff.Base:
		return fmt.Errorf("registry: backoff %+v: want 0 < Base ≤ Max", o.backoff)
	case o.opTimeout <= 0:
		return errors.New("registry: timeout must be positive")
	case o.check <= 0:
		return errors.New("registry: the revision check interval must be positive")
	case !strings.HasPrefix(o.prefix, "/"):
		return fmt.Errorf("registry: prefix %q must start with /", o.prefix)
	}
	return nil
}

// ParseEndpoints splits a comma-separated -registry flag into endpoints,
// each host:port or a URL (http, https, unix) as etcd's client takes them.
// One it could never dial is refused here: at start, not as listing
// failures that never name it.
func ParseEndpoints(s string) ([]string, error) {
	var out []string
	for ep := range strings.SplitSeq(s, ",") {
		if ep = strings.TrimSpace(ep); ep == "" {
			continue
		}
		if err := checkEndpoint(ep); err != nil {
			return nil, fmt.Errorf("registry: endpoint %q: %w", ep, err)
		}
		out = append(out, ep)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("registry: no endpoint in %q", s)
	}
	return out, nil
}

// Connect is an etcd client of endpoints for the registrar and the resolver.
// Unless it authenticates with a password (below), it does not wait for
// etcd: both retry until it answers. gRPC keepalive
// notices a silently dead connection, so a watch on it does not hang forever;
// the interval stays above etcd's default minimum (5 s), below which etcd
// closes the connection. It tries to reconnect at least every
// DefaultBackoff().Max: gRPC's default reconnect backoff grows to 120 s, so
// after an etcd outage of a minute an instance stayed out of the registry
// for up to 18 s more. The client logs errors only: the registry logs its
// own recoveries through WithLogf. sec says how it and etcd authenticate
// (the zero Security: plaintext, anonymous).
//
// With a user and password it does wait: etcd's client fetches its token
// as it connects, and fails when etcd does not answer within 5 s. A client
// certificate whose CN names the etcd user authenticates without a token,
// and so does not wait; that is the way to run a fleet that must start
// while etcd is away.
func Connect(endpoints []string, sec Security) (*clientv3.Client, error) {
	if err := checkSchemes(endpoints, sec); err != nil {
		return nil, err
	}
	lc := zap.NewProductionConfig()
	lc.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	lg, err := lc.Build()
	if err != nil {
		return nil, err
	}
	dial := []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
		Backoff: backoff.Config{
			BaseDelay: DefaultBackoff().Base, Multiplier: 1.6, Jitter: 0.2, MaxDelay: DefaultBackoff().Max,
		},
		MinConnectTimeout: 5 * time.Second, // a try at a silent address: the dial timeout
	})}
	if sec.roots != nil {
		// etcd's client puts these after the credentials it makes from
		// TLS, so these are the ones gRPC uses: the same TLS, with the CA
		// file read again when it changes. checkSchemes has made sure
		// that every endpoint is TLS.
		dial = append(dial, grpc.WithTransportCredentials(caCredentials{base: sec.TLS, roots: sec.roots}))
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
		DialTimeout:          5 * time.Second,
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: 3 * time.Second,
		DialOptions:          dial,
		Logger:               lg,
		TLS:                  sec.TLS,
		Username:             sec.Username,
		Password:             sec.Password,
	})
	if err != nil && sec.Username != "" {
		return nil, fmt.Errorf("registry: authenticating to etcd as %s, which must answer at start with a user and password: %w", sec.Username, err)
	}
	return cli, err
}

// validName reports whether s can be one path segment of a key.
func validName(s string) bool { return s != "" && !strings.ContainsAny(s, "/ \t\n") }

// HostID is the id an instance registers under by default: its host's name,
// with what a key segment cannot hold replaced, and its port when it has
// one (port > 0). Unique among a host's processes, and the same for a
// process restarted on its port, so that the new one takes over the old
// one's keys (and a bff replica keeps its subset).
func HostID(hostname string, port int) string {
	id := strings.Map(func(r rune) rune {
		if r == '/' || unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, hostname)
	if port > 0 {
		id += "-" + strconv.Itoa(port)
	}
	return id
}

func checkEndpoint(ep string) error {
	hostPort := ep
	if scheme, rest, ok := strings.Cut(ep, "://"); ok {
		switch scheme {
		case "unix", "unixs":
			if rest == "" {
				return errors.New("no socket path")
			}
			return nil
		case "http", "https":
			u, err := url.Parse(ep)
			if err != nil {
				return err
			}
			hostPort = u.Host
		default:
			return fmt.Errorf("unsupported scheme %q (http, https, unix)", scheme)
		}
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); host == "" || strings.ContainsAny(host, " \t") || err != nil || n < 1 || n > 65535 {
		return errors.New("want host:port with a port from 1 to 65535")
	}
	return nil
}
