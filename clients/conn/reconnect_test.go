package conn

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"mosaic/mocks/etcdtest"
)

// An instance that was unreachable for a while (restarting, partitioned)
// is called again soon after it is back: the connection tries at least
// every 2 s. gRPC's default backoff grows to 120 s, so after an
// outage of minutes an instance back on its address, or a cluster the bff
// should return to, waited up to two minutes more.
func TestAnUnreachableInstanceIsTriedAtLeastEveryTwoSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("a 16 s outage")
	}
	t.Parallel() // mostly waiting
	proxy := etcdtest.NewProxy(t, startHealth(t))
	cc, err := Dial("stat", "static:///"+proxy.Addr(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	check := healthCheck(cc)
	if err := check(5 * time.Second); err != nil {
		t.Fatalf("before the outage: %v", err)
	}
	const outage = 16 * time.Second
	cut := time.Now()
	proxy.Cut()
	for time.Since(cut) < outage { // calls keep coming, as a live bff's do
		_ = check(200 * time.Millisecond)
		time.Sleep(300 * time.Millisecond)
	}
	proxy.Heal()
	healed := time.Now()
	for check(200*time.Millisecond) != nil {
		if time.Since(healed) > 30*time.Second {
			t.Fatal("not called again 30 s after the instance was back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	back := time.Since(healed)
	// The longest stretch without a try in the outage's second half, when
	// gRPC's default had grown past 5 s; the cap allows reconnectMax and
	// its jitter (2.4 s), and the scheduler some slack.
	longest := proxy.LongestWithoutTry(cut.Add(outage/2), healed)
	if longest > 4*time.Second {
		t.Errorf("%d tries to reconnect in a %v outage, the longest gap in its second half %v: want one at least every 2 s", len(proxy.Refused()), outage, longest)
	}
	t.Logf("%d tries to reconnect in a %v outage, the longest gap in its second half %v; called again %v after the instance was back", len(proxy.Refused()), outage, longest, back)
}

// healthCheck is a health Check on cc, within timeout.
func healthCheck(cc *grpc.ClientConn) func(timeout time.Duration) error {
	return func(timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
}

// startHealth serves gRPC health on a loopback port until the test ends,
// and returns the port's address.
func startHealth(t *testing.T, opts ...grpc.ServerOption) string {
	t.Helper()
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return l.Addr().String()
}
