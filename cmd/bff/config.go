package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"mosaic/bff/httpx"
	"mosaic/bff/request"
	"mosaic/bff/server"
	"mosaic/clients"
	"mosaic/clients/registry"
	"mosaic/dto"
	"mosaic/internal/flagenv"
)

type config struct {
	// server is what the handlers are built with; its flags default to
	// server.Defaults, as the end-to-end tests do.
	server          server.Config
	addr, adminAddr string
	adminHosts      []string // names the admin listener answers to, besides addresses and localhost
	grace           time.Duration
	drain           time.Duration
	maxConns        int // open connections of the public listener; 0: no cap
	mockLatency     time.Duration
	mockJitter      time.Duration
	trusted         string
	logFormat       string
	logLevel        string
	// registry is the etcd endpoints every downstream without an explicit
	// target is discovered from (etcd:///<service>).
	registry    []string
	registrySec registry.Security
	subset      int    // instances kept per service, lane and cluster; 0 keeps all
	instanceID  string // this replica's name, from which its subset derives
	// targets maps a downstream service name to its gRPC target; empty
	// means mock mode.
	targets map[string]string
	// mockAllowed: without any downstream configured, serve on the
	// embedded mocks (a newcomer's go run) rather than refuse to start.
	mockAllowed bool
	// flags are what the values came from, for a check made after
	// parsing to name the variable that set one (flagenv.Blame).
	flags *flag.FlagSet
}

func (c config) mock() bool { return len(c.targets) == 0 && len(c.registry) == 0 }

// parseConfig reads flags, falling back to MOSAIC_* environment variables
// (MOSAIC_ADDR, MOSAIC_ACCOUNT_TARGET, ...) for containers.
func parseConfig(args []string, getenv func(string) string, stdout io.Writer) (_ config, err error) {
	c := config{server: server.Defaults()}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	c.flags = fs
	defer func() { err = flagenv.Blame(err, fs) }()
	c.listenerFlags(fs)
	c.serverFlags(fs)
	c.cacheFlags(fs)
	endpoints, targets := c.downstreamFlags(fs)
	var secFiles registry.SecurityFiles
	secFiles.Flags(fs)
	if err := flagenv.Parse(fs, args[1:], getenv, flagenv.Prefix, stdout); err != nil {
		return c, err
	}
	// Set, even to commas or spaces, it must name an endpoint: a replica
	// meant for the real downstreams must not start on the mocks, ready.
	if *endpoints != "" {
		if c.registry, err = registry.ParseEndpoints(*endpoints); err != nil {
			return c, fmt.Errorf("-registry: %w", err)
		}
	}
	if c.registrySec, err = secFiles.Load(c.registry); err != nil {
		return c, err
	}
	// Both only shape what etcd holds and what is read from it: with
	// static or mock targets they would be accepted and do nothing.
	if len(c.registry) == 0 && (c.server.Cluster != "" || c.instanceID != "") {
		return c, errors.New("-cluster and -instance-id need -registry: only instances discovered there have a cluster, and only a registered replica a name")
	}
	if c.instanceID == "" {
		h, _ := os.Hostname()
		c.instanceID = defaultInstanceID(h, c.addr)
	}
	if err := c.resolveTargets(targets); err != nil {
		return c, err
	}
	if c.mock() && !c.mockAllowed {
		return c, errors.New("no downstream is configured (-registry, or every -<service>-target) and -mock=false: a replica meant for the real services must not serve fake data")
	}
	if err := c.validate(); err != nil {
		return c, err
	}
	c.server.Mock = c.mock()
	c.server.Trust, err = c.trust()
	return c, err
}

// listenerFlags are the process's: listeners, shutdown, logs.
func (c *config) listenerFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", ":8080", "public listener: scene APIs, /openapi.yaml and its reference page /docs")
	fs.StringVar(&c.adminAddr, "admin-addr", "127.0.0.1:9090", "admin listener: /metrics, /healthz, /readyz, /debug/pprof/, the QA page /debug/compare")
	fs.Func("admin-hosts", "comma-separated host names the admin listener answers to besides IP addresses and localhost (a scraper that names the pod by DNS); any other Host gets 421, so a web page cannot reach it by DNS rebinding", func(v string) error {
		c.adminHosts = nil
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			if !dto.HostName(n) {
				return fmt.Errorf("%q is no host name (letters, digits, '-' and '_', in dot-separated labels)", n)
			}
			c.adminHosts = append(c.adminHosts, n)
		}
		return nil
	})
	fs.DurationVar(&c.grace, "grace", 10*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	fs.DurationVar(&c.drain, "drain", 0, "on SIGTERM, how long to keep serving with /readyz at 503 before closing the listener (the load balancer's time to notice)")
	fs.IntVar(&c.maxConns, "max-conns", 1024, "most connections the public listener keeps open; past it, a new one takes the place of one silent for 250ms since it opened (or 1s into a request's header), else of the keep-alive connection idle longest, or waits in the kernel's accept queue until one closes or goes idle, so a flood of connections cannot exhaust memory (0: no cap)")
	fs.StringVar(&c.logFormat, "log-format", "json", "log lines as json (one object a line) or text (key=value, for people)")
	fs.StringVar(&c.logLevel, "log-level", "info", "least level logged: debug, info (one line per request), warn (downstream failures) or error")
}

// serverFlags fill the handlers' Config, their defaults server.Defaults.
func (c *config) serverFlags(fs *flag.FlagSet) {
	s := &c.server
	fs.Int64Var(&s.Seed, "seed", s.Seed, "mock mode: faker seed; the same seed gives the same data")
	fs.DurationVar(&s.Deadline, "scene-deadline", s.Deadline, "deadline of one scene request, downstream calls included")
	fs.DurationVar(&s.CallTimeout, "call-timeout", s.CallTimeout, "timeout of one downstream call (retries included), below the scene deadline")
	fs.DurationVar(&s.Keepalive, "downstream-keepalive", s.Keepalive, "ping a downstream instance after this long with nothing read from it (at least 10s), closing the connection of one that hangs; its servers must permit pings that often, with no call in flight; 0: no pings")
	fs.IntVar(&s.Admission.Max, "max-inflight", s.Admission.Max, "hard ceiling on scene requests served at once; below it the limit adapts to latency, and requests past it are shed with 503 and Retry-After")
	fs.IntVar(&s.Admission.Min, "min-inflight", s.Admission.Min, "floor of the adaptive limit on scene requests served at once (set it to -max-inflight for a fixed bound)")
	fs.DurationVar(&s.Admission.Target, "inflight-target", s.Admission.Target, "latency the adaptive limit aims for when it binds: the limit is the recent throughput times this (0: an eighth of -scene-deadline)")
	fs.DurationVar(&s.Admission.QueueWait, "queue-wait", s.Admission.QueueWait, "how long a scene request may wait for a slot before it is shed; none waits once requests have been shed for twice this without a pause (a held overload); negative: shed at once")
	fs.StringVar(&c.trusted, "trusted-proxies", "", "comma-separated CIDRs or addresses allowed to set X-User-Id, the gateways' (default: loopback in mock mode, none otherwise; shorter than /8, or /16 for IPv6, is refused)")
	fs.Func("cors-origins", "comma-separated origins whose pages may call the web routes (https://m.example.com, https://*.example.com, or *); none by default", func(v string) (err error) {
		s.CORSOrigins, err = httpx.ParseOrigins(v)
		return err
	})
	fs.BoolVar(&s.ServerTiming, "server-timing", false, "send Server-Timing (internal services and their timings) to every caller; by default only in mock mode and to -trusted-proxies")
}

// cacheFlags fill the entity caches' settings (server.Cache).
func (c *config) cacheFlags(fs *flag.FlagSet) {
	s := &c.server.Cache
	fs.BoolVar(&s.On, "cache", s.On, "serve archives, profiles and stats (never relations or feeds) from in-memory caches within their freshness bounds, and share in-flight calls by ID; -cache=false calls the downstream on every read")
	fs.DurationVar(&s.ArchiveFresh, "cache-archive-fresh", s.ArchiveFresh, "how long a cached archive answers without a downstream call (jittered ±10%)")
	fs.DurationVar(&s.AccountFresh, "cache-account-fresh", s.AccountFresh, "how long a cached profile answers without a downstream call (jittered ±10%)")
	fs.DurationVar(&s.StatFresh, "cache-stat-fresh", s.StatFresh, "how long cached counters answer without a downstream call (jittered ±10%)")
	fs.DurationVar(&s.Stale, "cache-stale", s.Stale, "how long past its freshness a cached entry still answers when the downstream fails (the section is then degraded with reason stale); 0: never")
	fs.DurationVar(&s.Negative, "cache-negative", s.Negative, "how long an ID the downstream does not know is remembered as absent (jittered ±10%, as the freshness bounds); 0: asked again on every read")
	fs.IntVar(&s.MB, "cache-mb", s.MB, "memory the three caches may cost, in MiB: their entries take half (weighed as decoded message plus per-entry overhead; of it half archives, a quarter each profiles and stats), the collector's room the other half; the process's soft memory limit is this plus 32 MiB (GOMEMLIMIT overrides); refused when this plus 64 MiB is past the container's memory limit")
}

// downstreamFlags are where the downstreams are: the embedded mocks, the
// registry, or a target each.
func (c *config) downstreamFlags(fs *flag.FlagSet) (registry *string, targets map[string]*string) {
	fs.BoolVar(&c.mockAllowed, "mock", true, "with no downstream configured, serve on embedded mock services (mock mode); false refuses to start without downstreams, as a production replica should, so that a lost -registry fails the replica instead of serving faker data")
	fs.DurationVar(&c.mockLatency, "mock-latency", 0, "mock mode: latency added to every downstream call")
	fs.DurationVar(&c.mockJitter, "mock-jitter", 0, "mock mode: extra random latency in [0, jitter) per call")
	registry = fs.String("registry", "", "comma-separated etcd endpoints: every downstream without an explicit target is discovered as etcd:///<service>")
	fs.StringVar(&c.server.Cluster, "cluster", "", "this replica's cluster: healthy downstream instances there are preferred, others used when it has none")
	fs.IntVar(&c.subset, "subset", 0, "with -registry: downstream instances each replica connects to, per service, lane and cluster (0 = all)")
	fs.StringVar(&c.instanceID, "instance-id", "", "this replica's name (e.g. bff-3), unique in the registry; its subset of instances derives from it (default: hostname-port of -addr)")
	targets = map[string]*string{}
	for _, svc := range clients.Services() {
		targets[svc] = fs.String(svc+"-target", "", "gRPC target of the "+svc+" service (static:///h:p,h:p, dns:///name:port or etcd:///name); overrides -registry")
	}
	return registry, targets
}

// resolveTargets gives every downstream its target, explicit or in the
// registry; none at all is mock mode.
func (c *config) resolveTargets(flags map[string]*string) error {
	c.targets = map[string]string{}
	var missing []string
	for svc, t := range flags {
		switch {
		case *t != "":
			c.targets[svc] = *t
		case len(c.registry) > 0:
			c.targets[svc] = "etcd:///" + svc
		default:
			missing = append(missing, svc)
		}
	}
	if len(c.targets) > 0 && len(missing) > 0 {
		return fmt.Errorf("targets for %v are missing: configure every downstream (or -registry), or none for mock mode", missing)
	}
	return nil
}

func (c config) validate() error {
	for _, f := range []struct {
		name     string
		negative bool
	}{
		{"-grace", c.grace < 0}, {"-drain", c.drain < 0}, {"-mock-latency", c.mockLatency < 0},
		{"-mock-jitter", c.mockJitter < 0}, {"-subset", c.subset < 0},
	} {
		if f.negative {
			return fmt.Errorf("%s must not be negative", f.name)
		}
	}
	s := c.server
	switch {
	case c.maxConns < 0:
		return errors.New("-max-conns must not be negative (0: no cap)")
	case c.subset > 0 && len(c.registry) == 0:
		// Only instances discovered in etcd are subset; a static or dns
		// target would be dialled whole, the flag silently unused.
		return errors.New("-subset needs -registry: only instances discovered there are subset")
	case s.Keepalive != 0 && s.Keepalive < 10*time.Second:
		// gRPC would raise it to 10 s in silence.
		return errors.New("-downstream-keepalive must be 0 (no pings) or at least 10s")
	case s.Deadline <= 0 || s.CallTimeout < 0 || s.CallTimeout >= s.Deadline:
		// A call must time out before its scene does, so that a slow
		// service is blamed on the service and the scene can still degrade.
		return errors.New("-scene-deadline must be positive and -call-timeout at least 0 (no timeout of its own) and below it")
	case s.Admission.Min < 1 || s.Admission.Max < s.Admission.Min:
		return errors.New("-min-inflight must be at least 1 and -max-inflight at least -min-inflight")
	case s.Admission.Target < 0 || s.Admission.Target > s.Deadline:
		return errors.New("-inflight-target must be between 0 (an eighth of -scene-deadline) and -scene-deadline")
	}
	return s.Cache.Validate()
}

// trust is who may set X-User-Id: the configured CIDRs, else loopback in mock mode.
func (c config) trust() (request.Trust, error) {
	if c.trusted == "" {
		if c.mock() {
			return request.Loopback(), nil
		}
		return nil, nil
	}
	var t request.Trust
	for _, s := range strings.Split(c.trusted, ",") {
		p, err := prefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("-trusted-proxies: %q: want a CIDR (10.0.0.0/8) or an address (10.0.0.7)", s)
		}
		// Every address, or a good part of the Internet (0.0.0.0/1 and
		// 128.0.0.0/1 are all of it): any client could claim to be any
		// viewer. A gateway whose address moves has a network to name.
		shortest := 16
		if p.Addr().Is4() {
			shortest = 8
		}
		if p.Bits() < shortest {
			return nil, fmt.Errorf("-trusted-proxies: %s trusts every address, or a good part of them, so any client could set X-User-Id; name the gateways' network (at least /%d, e.g. 10.0.0.0/8)", p, shortest)
		}
		t = append(t, p)
	}
	return t, nil
}

// prefix reads a CIDR, or an address as the one-address prefix it is (a
// gateway's own address, as nginx's set_real_ip_from takes it).
func prefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		return netip.PrefixFrom(a, a.BitLen()), err
	}
	return netip.ParsePrefix(s)
}

// defaultInstanceID names a replica after its host, as a pod's name does,
// and its port: two replicas on one host must not share a key in the
// registry, where the last to register would hide the other. A replica
// restarted on its port keeps its name, and so its subset.
func defaultInstanceID(hostname, addr string) string {
	if hostname == "" {
		hostname = "bff"
	}
	_, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil {
		n = 0
	}
	return registry.HostID(hostname, n)
}
