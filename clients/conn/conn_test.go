package conn

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"mosaic/clients/contract"
	statv1 "mosaic/clients/stat/v1"
)

func TestParseStatic(t *testing.T) {
	addrs, err := parseStatic("127.0.0.1:1, [::1]:2,host:3")
	if err != nil || len(addrs) != 3 || addrs[1].Addr != "[::1]:2" {
		t.Fatalf("got %v, %v", addrs, err)
	}
	for _, bad := range []string{"", "nohost", "a:1,,b:2"} {
		if _, err := parseStatic(bad); err == nil {
			t.Errorf("parseStatic(%q) accepted", bad)
		}
	}
}

func TestDialRejectsUnknownSchemes(t *testing.T) {
	for _, target := range []string{"127.0.0.1:1", "etcd-ish:///x", "http:///x"} {
		if _, err := Dial("stat", target, Options{}); err == nil {
			t.Errorf("Dial(%q) accepted", target)
		}
	}
}

func invoke(err error) grpc.UnaryInvoker {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		return err
	}
}

func TestForwardCarriesColorAlwaysAndScenarioOnlyInMockMode(t *testing.T) {
	var seen metadata.MD
	capture := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		seen, _ = metadata.FromOutgoingContext(ctx)
		return nil
	}
	ctx := WithScenario(WithColor(context.Background(), "canary"), "stat=unavailable")
	real := &caller{service: "stat", throttle: newThrottle(BreakerSettings{})}
	real.intercept(ctx, "/m", nil, nil, nil, capture)
	if got := seen.Get(contract.ColorKey); len(got) != 1 || got[0] != "canary" || len(seen.Get(contract.ScenarioKey)) != 0 {
		t.Errorf("real mode metadata %v", seen)
	}
	mock := &caller{service: "stat", throttle: newThrottle(BreakerSettings{}), forwardScenario: true}
	mock.intercept(ctx, "/m", nil, nil, nil, capture)
	if got := seen.Get(contract.ScenarioKey); len(got) != 1 || got[0] != "stat=unavailable" {
		t.Errorf("mock mode metadata %v", seen)
	}
}

func TestTimingsHeader(t *testing.T) {
	var tm Timings
	ctx := WithTimings(context.Background(), &tm)
	slowly := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		time.Sleep(2 * time.Millisecond)
		return nil
	}
	for _, svc := range []string{"archive", "stat"} {
		c := &caller{service: svc, throttle: newThrottle(BreakerSettings{})}
		method := map[string]string{"archive": "/archive.v1.ArchiveService/BatchGetArchives", "stat": "/stat.v1.StatService/BatchGetStats"}[svc]
		c.intercept(ctx, method, nil, nil, nil, slowly)
	}
	h := tm.Header()
	if !strings.HasPrefix(h, "archive.BatchGetArchives;dur=") || !strings.Contains(h, ", stat.BatchGetStats;dur=") {
		t.Errorf("Server-Timing %q", h)
	}
}

func TestBalancerIsMosaicLanesUnlessForced(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, `{"mosaic_lanes":{"cluster":""}}`},
		{Options{Cluster: "c1"}, `{"mosaic_lanes":{"cluster":"c1"}}`},
		{Options{Cluster: "c1", Policy: "round_robin"}, `{"round_robin":{}}`},
	} {
		if got, err := balancer(tc.o); err != nil || got != tc.want {
			t.Errorf("balancer(%+v) = %s, %v; want %s", tc.o, got, err, tc.want)
		}
	}
	if _, err := Dial("stat", "static:///127.0.0.1:1", Options{Policy: "no_such_policy"}); err == nil {
		t.Error("Dial accepted an unknown balancing policy")
	}
	cc, err := Dial("stat", "static:///127.0.0.1:1", Options{Cluster: "c1"})
	if err != nil {
		t.Fatalf("the default service config does not parse: %v", err)
	}
	cc.Close()
}

// dns:///name:port (a Kubernetes headless service) resolves through DNS
// and calls the instances it names: here localhost, from the hosts file,
// to a server on loopback.
func TestADNSTargetCallsTheInstancesItResolvesTo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	statv1.RegisterStatServiceServer(srv, statServer{md: make(chan metadata.MD, 1)})
	go srv.Serve(ln)
	defer srv.Stop()
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	cc, err := Dial("stat", "dns:///localhost:"+port, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := statv1.NewStatServiceClient(cc).BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: []int64{1}}); err != nil {
		t.Fatalf("a call to dns:///localhost:%s: %v", port, err)
	}
}
