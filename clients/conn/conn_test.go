package conn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
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

func TestBreakerCountsServiceFaultsOnly(t *testing.T) {
	c := &caller{service: "stat", breaker: newBreaker("stat", BreakerSettings{ConsecutiveFailures: 2, Open: time.Hour, Probes: 1})}
	call := func(err error) error {
		return c.intercept(context.Background(), "/stat.v1.StatService/BatchGetStats", nil, nil, nil, invoke(err))
	}
	// Client errors and cancellations never open the circuit.
	for range 5 {
		call(status.Error(codes.InvalidArgument, "bad"))
		call(status.Error(codes.Canceled, "gone"))
	}
	if err := call(nil); err != nil {
		t.Fatalf("closed breaker refused: %v", err)
	}
	call(status.Error(codes.Unavailable, ""))
	call(status.Error(codes.Internal, ""))
	if err := call(nil); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("after two service faults: %v, want ErrCircuitOpen", err)
	}
}

func TestForwardCarriesColorAlwaysAndScenarioOnlyInMockMode(t *testing.T) {
	var seen metadata.MD
	capture := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		seen, _ = metadata.FromOutgoingContext(ctx)
		return nil
	}
	ctx := WithScenario(WithColor(context.Background(), "canary"), "stat=unavailable")
	real := &caller{service: "stat", breaker: newBreaker("stat", BreakerSettings{})}
	real.intercept(ctx, "/m", nil, nil, nil, capture)
	if got := seen.Get(ColorKey); len(got) != 1 || got[0] != "canary" || len(seen.Get(ScenarioKey)) != 0 {
		t.Errorf("real mode metadata %v", seen)
	}
	mock := &caller{service: "stat", breaker: newBreaker("stat", BreakerSettings{}), forwardScenario: true}
	mock.intercept(ctx, "/m", nil, nil, nil, capture)
	if got := seen.Get(ScenarioKey); len(got) != 1 || got[0] != "stat=unavailable" {
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
		c := &caller{service: svc, breaker: newBreaker(svc, BreakerSettings{})}
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

// A call cut short by its caller's deadline (the scene's budget, used up by
// earlier steps) is no evidence against the service: it never opens the
// circuit. Only the service's own timeout or errors do.
func TestBreakerIgnoresTheCallersDeadline(t *testing.T) {
	c := &caller{service: "archive", breaker: newBreaker("archive", BreakerSettings{ConsecutiveFailures: 2, Open: time.Hour}), timeout: time.Second}
	slow := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	}
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		c.intercept(ctx, "/archive.v1.ArchiveService/BatchGetArchives", nil, nil, nil, slow)
		cancel()
	}
	if err := c.intercept(context.Background(), "/m", nil, nil, nil, invoke(nil)); err != nil {
		t.Fatalf("the caller's deadlines opened the circuit: %v", err)
	}
	// The call's own timeout is the service's fault.
	c.timeout = 5 * time.Millisecond
	for range 2 {
		c.intercept(context.Background(), "/m", nil, nil, nil, slow)
	}
	if err := c.intercept(context.Background(), "/m", nil, nil, nil, invoke(nil)); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("two per-call timeouts did not open the circuit: %v", err)
	}
}
