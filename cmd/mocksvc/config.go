package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic/clients/contract"
	"mosaic/clients/registry"
	"mosaic/internal/flagenv"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

type config struct {
	addr            string
	services        []string
	seed            int64
	world           dataset.Config // the catalogue served
	latency, jitter time.Duration
	scenarios       bool
	adminAddr       string // "" serves no admin HTTP

	// Registration; registry nil registers nothing.
	registry    []string
	registrySec registry.Security
	ttl         time.Duration
	instanceID  string // "" is derived from the host and port
	advertise   string // "" is derived from the listener
	color       string
	cluster     string
	zone        string
	weight      int
}

// parseConfig reads the flags; a flag not given on the command line falls back
// to its MOSAIC_ environment variable (-addr → MOSAIC_ADDR, -instance-id →
// MOSAIC_INSTANCE_ID), then its default.
func parseConfig(args []string, getenv func(string) string, stdout io.Writer) (c config, err error) {
	var (
		services, endpoint string
		classic            bool
	)
	c.world = dataset.Skewed()
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	defer func() { err = flagenv.Blame(err, fs) }()
	fs.StringVar(&c.addr, "addr", ":9000", "gRPC listen address")
	fs.StringVar(&services, "services", strings.Join(fakes.Names(), ","), "comma-separated services to serve")
	fs.Int64Var(&c.seed, "seed", 1, "faker seed; the same seed gives the same data")
	fs.BoolVar(&classic, "classic", false, "serve the Classic world of the in-process mocks and the goldens (10,000 archives, 2,000 accounts, uniform feed) instead of -archives, -accounts and -zipf")
	fs.IntVar(&c.world.Archives, "archives", c.world.Archives, "archives in the catalogue (aids 1..N), each generated on first use")
	fs.IntVar(&c.world.Accounts, "accounts", c.world.Accounts, "accounts in the catalogue (mids 1..N)")
	fs.Float64Var(&c.world.Zipf, "zipf", c.world.Zipf, "exponent of the Zipf popularity the feed draws archives from; 0: uniform")
	fs.DurationVar(&c.latency, "latency", 0, "latency added to every call")
	fs.DurationVar(&c.jitter, "jitter", 0, "extra random latency in [0, jitter) per call")
	fs.BoolVar(&c.scenarios, "scenarios", true, "honor x-mock-scenario metadata (fault injection)")
	fs.StringVar(&c.adminAddr, "admin-addr", "", "admin HTTP address (/metrics, /healthz, /readyz, /health); empty: none")
	fs.StringVar(&endpoint, "registry", "", "comma-separated etcd endpoints to register each service at; empty: no registration")
	fs.DurationVar(&c.ttl, "registry-ttl", registry.DefaultTTL, "lease TTL of the registration (whole seconds, at most 10s)")
	fs.StringVar(&c.instanceID, "instance-id", "", "instance id in the registry (default: hostname-port)")
	fs.StringVar(&c.advertise, "advertise", "", "host:port registered for the BFF to dial (default: the listen address, or hostname:port when it is a wildcard)")
	fs.StringVar(&c.color, "color", "", "traffic lane served (empty: the baseline)")
	fs.StringVar(&c.cluster, "cluster", "", "cluster the instance runs in")
	fs.StringVar(&c.zone, "zone", "", "zone the instance runs in")
	fs.IntVar(&c.weight, "weight", 0, "relative capacity (0 means 1)")
	var secFiles registry.SecurityFiles
	secFiles.Flags(fs)
	if err := flagenv.Parse(fs, args[1:], getenv, flagenv.Prefix, stdout); err != nil {
		return c, err
	}
	if c.services, err = parseServices(services); err != nil {
		return c, err
	}
	if c.world, err = world(fs, classic, c.world); err != nil {
		return c, err
	}
	if c.latency < 0 || c.jitter < 0 {
		return c, errors.New("-latency and -jitter must not be negative")
	}
	if endpoint != "" {
		if c.registry, err = registry.ParseEndpoints(endpoint); err != nil {
			return c, fmt.Errorf("-registry: %w", err)
		}
	}
	if c.registrySec, err = secFiles.Load(c.registry); err != nil {
		return c, err
	}
	return c, c.validateRegistration()
}

// world is the catalogue to serve: the Classic world with -classic (which
// then must come alone), else the one of -archives, -accounts and -zipf.
func world(fs *flag.FlagSet, classic bool, w dataset.Config) (dataset.Config, error) {
	var shaped []string
	fs.Visit(func(f *flag.Flag) { // set on the command line or from the environment
		if f.Name == "archives" || f.Name == "accounts" || f.Name == "zipf" {
			shaped = append(shaped, "-"+f.Name)
		}
	})
	if classic {
		if len(shaped) > 0 {
			return w, fmt.Errorf("-classic fixes the catalogue: drop %s", strings.Join(shaped, ", "))
		}
		return dataset.Classic(), nil
	}
	if err := w.Validate(); err != nil {
		return w, fmt.Errorf("-%w", err)
	}
	return w, nil
}

func (c config) validateRegistration() error {
	if c.instanceID != "" && strings.ContainsAny(c.instanceID, "/ \t\n") {
		return fmt.Errorf("-instance-id %q: no / or spaces", c.instanceID)
	}
	if c.advertise != "" && !validHostPort(c.advertise) {
		return fmt.Errorf("-advertise %q: want host:port", c.advertise)
	}
	if c.ttl < time.Second || c.ttl > registry.MaxTTL || c.ttl%time.Second != 0 {
		return fmt.Errorf("-registry-ttl %v: want whole seconds from 1s to %v", c.ttl, registry.MaxTTL)
	}
	if c.weight < 0 {
		return errors.New("-weight must not be negative")
	}
	if c.color != "" && !contract.ValidColor(c.color) {
		return fmt.Errorf("-color %q: want 1 to 32 of a-z, 0-9 and '-', not starting with '-': no X-Color could reach another lane", c.color)
	}
	return nil
}

// validHostPort reports whether s is a dialable host:port: a wildcard or
// empty host is not.
func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if ip := net.ParseIP(host); err != nil || host == "" || (ip != nil && ip.IsUnspecified()) {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

func parseServices(s string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			continue
		case !slices.Contains(fakes.Names(), name):
			return nil, fmt.Errorf("-services: unknown service %q (want some of %s)", name, strings.Join(fakes.Names(), ","))
		case slices.Contains(out, name):
			return nil, fmt.Errorf("-services: %s is listed twice", name)
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("-services: no service to serve")
	}
	return out, nil
}

// advertiseAddr is the address to register: -advertise if given, the listen
// address if it names a host, else hostname:port (a wildcard is not dialable
// from elsewhere).
func advertiseAddr(flagValue string, lis net.Addr, hostname string) string {
	if flagValue != "" {
		return flagValue
	}
	tcp, ok := lis.(*net.TCPAddr)
	if !ok {
		return lis.String()
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return net.JoinHostPort(hostname, strconv.Itoa(tcp.Port))
	}
	return tcp.String()
}

// instanceID is -instance-id if given, else hostname-port: unique among the
// processes of a host, and the same for a process restarted on its port, so
// that the new one takes over the old one's keys.
func instanceID(flagValue string, lis net.Addr, hostname string) string {
	if flagValue != "" {
		return flagValue
	}
	port := 0
	if tcp, ok := lis.(*net.TCPAddr); ok {
		port = tcp.Port
	}
	return registry.HostID(hostname, port)
}
