package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"mosaic/internal/flagenv"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

// shutdownGrace bounds how long in-flight calls may take to finish on shutdown
// before they are cut.
const shutdownGrace = 5 * time.Second

// deregisterTimeout bounds deregistration on shutdown: with etcd unreachable,
// the lease's TTL removes the keys anyway.
const deregisterTimeout = 3 * time.Second

// run serves until ctx is done, then deregisters, marks every service
// NOT_SERVING, stops gracefully (forcibly after shutdownGrace) and returns
// nil. Deregistering comes first so that resolvers stop sending new calls
// before the server stops taking them.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return flagenv.UnlessHelp(err)
	}
	metrics := prometheus.NewRegistry()
	counter := newCallCounter(metrics, cfg.color, cfg.cluster)
	opts := fakes.Options{Latency: cfg.latency, Jitter: cfg.jitter, Scenarios: cfg.scenarios}
	draining := make(chan struct{})
	srvOpts := append([]grpc.ServerOption{grpc.ChainUnaryInterceptor(counter.interceptor)}, opts.ServerOptions()...)
	srv := grpc.NewServer(append(srvOpts, grpc.ChainStreamInterceptor(endWatches(draining)))...)
	if err := fakes.Register(srv, dataset.New(cfg.seed, cfg.world), cfg.services...); err != nil {
		return err
	}
	health := newHealthSwitch(srv)

	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	admin, err := startAdmin(ctx, cfg.adminAddr, adminHandler(metrics, health))
	if err != nil {
		lis.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }() // nil after (Graceful)Stop
	// Timed lines: when an instance lost etcd, and how long it took to
	// register again, is what an operator reads them for.
	logger := log.New(stderr, "mocksvc: ", log.LstdFlags|log.Lmicroseconds|log.LUTC|log.Lmsgprefix)
	reg, err := startRegistration(cfg, lis.Addr(), metrics, logger.Printf)
	if err != nil {
		srv.Stop()
		admin.close()
		return errors.Join(err, <-served)
	}
	fmt.Fprintf(stdout, "mocksvc serving %s on %s (seed %d, %d archives, %d accounts, zipf %v)%s%s\n", strings.Join(cfg.services, ","), lis.Addr(),
		cfg.seed, cfg.world.Archives, cfg.world.Accounts, cfg.world.Zipf, admin.announce(), reg.announce())

	var serveErr error
	select {
	case err := <-served:
		serveErr = fmt.Errorf("serve: %w", err)
	case err := <-admin.errc():
		serveErr = fmt.Errorf("admin: %w", err)
	case <-ctx.Done():
		logger.Print("shutting down")
	}
	if err := reg.stop(); err != nil {
		logger.Print(err)
	}
	health.Shutdown() // every service NOT_SERVING, so health-checking clients move away
	close(draining)
	cluster.GracefulStop(srv, shutdownGrace)
	admin.close()
	if serveErr != nil {
		return serveErr
	}
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
