package mocks

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
)

// Service names accepted by Register and Cluster.Addr: the clients' names,
// so a mock and the client that calls it always agree.
const (
	Account  = clients.Account
	Archive  = clients.Archive
	Stat     = clients.Stat
	Relation = clients.Relation
	Feed     = clients.Feed
	Reply    = clients.Reply
)

// ServiceNames returns the six service names, in a fixed order.
func ServiceNames() []string { return clients.Services() }

// Register registers the named services, backed by ds, on s. It is how
// cmd/mocksvc serves any subset of the six on one address.
func Register(s grpc.ServiceRegistrar, ds *Dataset, services ...string) error {
	for _, name := range services {
		switch name {
		case Account:
			accountv1.RegisterAccountServiceServer(s, &AccountServer{Data: ds})
		case Archive:
			archivev1.RegisterArchiveServiceServer(s, &ArchiveServer{Data: ds})
		case Stat:
			statv1.RegisterStatServiceServer(s, &StatServer{Data: ds})
		case Relation:
			relationv1.RegisterRelationServiceServer(s, &RelationServer{Data: ds})
		case Feed:
			feedv1.RegisterFeedServiceServer(s, &FeedServer{Data: ds})
		case Reply:
			replyv1.RegisterReplyServiceServer(s, &ReplyServer{Data: ds})
		default:
			return fmt.Errorf("mocks: unknown service %q (want one of %v)", name, ServiceNames())
		}
	}
	return nil
}

// LatencyInterceptor delays every call by latency plus a uniform [0, jitter),
// returning the context's status early if the caller gives up first. Each
// interceptor has its own jitter source.
func LatencyInterceptor(latency, jitter time.Duration) grpc.UnaryServerInterceptor {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) // jitter need not be reproducible
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		d := latency
		if jitter > 0 {
			mu.Lock()
			d += time.Duration(rng.Int64N(int64(jitter)))
			mu.Unlock()
		}
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// Options configures Start.
type Options struct {
	Recorder *Recorder     // records every call, latency included; may be nil
	Latency  time.Duration // added to every call
	Jitter   time.Duration // uniform extra [0, Jitter) per call
	// Scenarios makes the servers honor x-mock-scenario metadata
	// (ScenarioInterceptor), after the recorder and the latency.
	Scenarios bool
	// Interceptors run after the recorder, the latency and the scenarios,
	// closest to the handler (e.g. a test's own fault injection).
	Interceptors []grpc.UnaryServerInterceptor
}

// ServerOptions are the options of a mock gRPC server configured by o: one chain
// of unary interceptors, in order the recorder (outermost, so it records the
// final code and the whole duration), the latency, the scenarios, then
// o.Interceptors. Start and cmd/mocksvc build their servers with it.
func (o Options) ServerOptions() []grpc.ServerOption {
	var chain []grpc.UnaryServerInterceptor
	if o.Recorder != nil {
		chain = append(chain, o.Recorder.Interceptor())
	}
	if o.Latency > 0 || o.Jitter > 0 {
		chain = append(chain, LatencyInterceptor(o.Latency, o.Jitter))
	}
	if o.Scenarios {
		chain = append(chain, ScenarioInterceptor())
	}
	chain = append(chain, o.Interceptors...)
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(chain...)}
}

// Cluster is the six mock services, each on its own loopback gRPC server.
type Cluster struct {
	addrs    map[string]string
	servers  []*grpc.Server
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// Start serves every service of ds on its own 127.0.0.1 port over real gRPC (not
// bufconn), so callers exercise real dialing, deadlines and metadata. ctx bounds the
// setup only; the cluster runs until Stop.
func Start(ctx context.Context, ds *Dataset, opts Options) (*Cluster, error) {
	c := &Cluster{addrs: make(map[string]string)}
	var lc net.ListenConfig
	for _, name := range ServiceNames() {
		lis, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("mocks: listen for %s: %w", name, err)
		}
		srv := grpc.NewServer(opts.ServerOptions()...)
		if err := Register(srv, ds, name); err != nil {
			lis.Close()
			c.Stop()
			return nil, err
		}
		// Health as a real service reports it: the BFF checks it per instance.
		healthpb.RegisterHealthServer(srv, health.NewServer())
		c.addrs[name] = lis.Addr().String()
		c.servers = append(c.servers, srv)
		c.wg.Go(func() { _ = srv.Serve(lis) }) // returns nil after Stop
	}
	return c, nil
}

// Addr returns the host:port of the named service, or "" if there is none.
func (c *Cluster) Addr(service string) string { return c.addrs[service] }

// stopGrace bounds how long Stop waits for in-flight calls before cutting them.
const stopGrace = 2 * time.Second

// Stop gracefully stops every server, forcing them after a short grace period,
// and waits for their goroutines. It is safe to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		var wg sync.WaitGroup
		for _, srv := range c.servers {
			wg.Go(func() { GracefulStop(srv, stopGrace) })
		}
		wg.Wait()
		c.wg.Wait()
	})
}

// GracefulStop stops srv gracefully, cutting the calls still running after
// grace (and streams such as health watches, which never end on their own).
func GracefulStop(srv *grpc.Server, grace time.Duration) {
	done := make(chan struct{})
	go func() { srv.GracefulStop(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		srv.Stop()
		<-done
	}
}

// sleep waits d, or returns the status of ctx's end if the caller gives up
// first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	case <-t.C:
		return nil
	}
}
