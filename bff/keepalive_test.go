package bff_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"mosaic/bff/server"
	"mosaic/clients/conn"
	"mosaic/mocks/fakes"
)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// The BFF pings an instance after 10 s with nothing read from it, and its
// health watch keeps a stream open, so an idle connection is pinged too.
// The fakes (mocksvc, mock mode, the test topology) permit that: an idle
// connection stays up. Under gRPC's default policy (a ping at most every
// 5 minutes) the server would answer too_many_pings after the third and
// the connection would be dialled again, with gRPC doubling the channel's
// ping interval each time, and a hung instance found out ever later.
func TestIdleConnectionsToTheFakesOutlastTheBFFsPings(t *testing.T) {
	if testing.Short() {
		t.Skip("idles through three keepalive pings (35 s)")
	}
	t.Parallel()
	srv := grpc.NewServer(fakes.Options{}.ServerOptions()...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis := &countingListener{Listener: l}
	served := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(served) }()
	defer func() { srv.Stop(); <-served }()
	cc, err := conn.Dial("stat", "static:///"+l.Addr().String(), conn.Options{Keepalive: server.Defaults().Keepalive})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	check := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	check()
	time.Sleep(35 * time.Second)
	check()
	if n := lis.accepted.Load(); n != 1 {
		t.Errorf("%d connections accepted over 35 s idle, want the first one kept", n)
	}
}
