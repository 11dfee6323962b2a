package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"mosaic/mocks"
)

// shutdownGrace bounds how long in-flight calls may take to finish on shutdown
// before they are cut.
const shutdownGrace = 5 * time.Second

type config struct {
	addr            string
	services        []string
	seed            int64
	latency, jitter time.Duration
	scenarios       bool
}

// run serves until ctx is done, then marks every service NOT_SERVING, stops
// gracefully (forcibly after shutdownGrace) and returns nil.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	opts := mocks.Options{Latency: cfg.latency, Jitter: cfg.jitter, Scenarios: cfg.scenarios}
	draining := make(chan struct{})
	srv := grpc.NewServer(append(opts.ServerOptions(), grpc.ChainStreamInterceptor(endWatches(draining)))...)
	if err := mocks.Register(srv, mocks.NewDataset(cfg.seed), cfg.services...); err != nil {
		return err
	}
	hs := health.NewServer() // "" (the whole server) starts SERVING
	for name := range srv.GetServiceInfo() {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING) // e.g. "stat.v1.StatService"
	}
	healthpb.RegisterHealthServer(srv, hs)

	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }() // nil after (Graceful)Stop
	fmt.Fprintf(stdout, "mocksvc serving %s on %s (seed %d)\n", strings.Join(cfg.services, ","), lis.Addr(), cfg.seed)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "mocksvc: shutting down")
	hs.Shutdown() // every service NOT_SERVING, so health-checking clients move away
	close(draining)
	mocks.GracefulStop(srv, shutdownGrace)
	return <-served
}

// watchNotice bounds how long a health Watch stream stays open once the server
// drains, waiting to deliver NOT_SERVING.
const watchNotice = time.Second

// endWatches ends every health Watch stream once draining is closed, as soon as
// it has sent NOT_SERVING (or after watchNotice), so that long-lived watches
// (client-side health checking) do not hold GracefulStop for its whole grace.
func endWatches(draining <-chan struct{}) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if info.FullMethod != healthpb.Health_Watch_FullMethodName {
			return handler(srv, ss)
		}
		ctx, cancel := context.WithCancel(ss.Context())
		defer cancel()
		w := &watchStream{ServerStream: ss, ctx: ctx, notServing: make(chan struct{})}
		go func() {
			select {
			case <-draining:
			case <-ctx.Done():
				return
			}
			t := time.NewTimer(watchNotice)
			defer t.Stop()
			select {
			case <-w.notServing:
			case <-t.C:
			case <-ctx.Done():
			}
			cancel() // the health server's Watch returns on its stream's context
		}()
		return handler(srv, w)
	}
}

// watchStream is a health Watch stream whose context ends on drain, and which
// tells when it has sent NOT_SERVING.
type watchStream struct {
	grpc.ServerStream
	ctx        context.Context
	once       sync.Once
	notServing chan struct{}
}

func (w *watchStream) Context() context.Context { return w.ctx }

func (w *watchStream) SendMsg(m any) error {
	err := w.ServerStream.SendMsg(m)
	if r, ok := m.(*healthpb.HealthCheckResponse); ok && err == nil && r.GetStatus() == healthpb.HealthCheckResponse_NOT_SERVING {
		w.once.Do(func() { close(w.notServing) })
	}
	return err
}

// parseConfig reads the flags; a flag not given on the command line falls back
// to its MOSAIC_ environment variable (-addr → MOSAIC_ADDR), then its default.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var (
		c        config
		services string
	)
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", ":9000", "gRPC listen address")
	fs.StringVar(&services, "services", strings.Join(mocks.ServiceNames(), ","), "comma-separated services to serve")
	fs.Int64Var(&c.seed, "seed", 1, "faker seed; the same seed gives the same data")
	fs.DurationVar(&c.latency, "latency", 0, "latency added to every call")
	fs.DurationVar(&c.jitter, "jitter", 0, "extra random latency in [0, jitter) per call")
	fs.BoolVar(&c.scenarios, "scenarios", true, "honor x-mock-scenario metadata (fault injection)")
	if err := fs.Parse(args[1:]); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "MOSAIC_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && !set[f.Name] {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = errors.Join(envErr, fmt.Errorf("%s: %w", name, err))
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	var err error
	if c.services, err = parseServices(services); err != nil {
		return c, err
	}
	if c.latency < 0 || c.jitter < 0 {
		return c, errors.New("-latency and -jitter must not be negative")
	}
	return c, nil
}

func parseServices(s string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			continue
		case !slices.Contains(mocks.ServiceNames(), name):
			return nil, fmt.Errorf("-services: unknown service %q (want some of %s)", name, strings.Join(mocks.ServiceNames(), ","))
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
