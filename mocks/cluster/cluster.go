// Package cluster launches the mock services on loopback for tests and for
// cmd/bff's mock mode: each service of the fakes registry on its own
// 127.0.0.1 gRPC server, over real gRPC (not bufconn).
package cluster

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

// Cluster is the mock services, each on its own loopback gRPC server.
type Cluster struct {
	addrs    map[string]string
	servers  []*grpc.Server
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// Start serves every service of the fakes registry, backed by ds, on its own
// 127.0.0.1 port, so callers exercise real dialing, deadlines and metadata.
// ctx bounds the setup only; the cluster runs until Stop.
func Start(ctx context.Context, ds *dataset.Dataset, opts fakes.Options) (*Cluster, error) {
	c := &Cluster{addrs: make(map[string]string)}
	var lc net.ListenConfig
	for _, svc := range fakes.Services() {
		lis, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("cluster: listen for %s: %w", svc.Name, err)
		}
		srv := grpc.NewServer(opts.ServerOptions()...)
		svc.Register(srv, ds)
		// Health as a real service reports it: the BFF checks it per instance.
		healthpb.RegisterHealthServer(srv, health.NewServer())
		c.addrs[svc.Name] = lis.Addr().String()
		c.servers = append(c.servers, srv)
		c.wg.Go(func() { _ = srv.Serve(lis) }) // returns nil after Stop
	}
	return c, nil
}

// Addr returns the host:port of the named service, or "" if there is none.
func (c *Cluster) Addr(service string) string { return c.addrs[service] }

// Targets are the gRPC targets of every service the cluster serves, by
// name, as a client set dials them (static:///host:port).
func (c *Cluster) Targets() map[string]string {
	targets := make(map[string]string, len(c.addrs))
	for svc, addr := range c.addrs {
		targets[svc] = "static:///" + addr
	}
	return targets
}

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
