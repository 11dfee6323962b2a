package balance_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	"mosaic/clients"
	"mosaic/clients/archive"
	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/balance"
	"mosaic/clients/conn"
	"mosaic/clients/contract"
	"mosaic/clients/instance"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
)

const mArchives = "/archive.v1.ArchiveService/BatchGetArchives"

// backend is one instance of the archive service on loopback, with a health
// server the test flips and a recorder that counts the calls it served.
type backend struct {
	name   string
	addr   string
	rec    *record.Recorder
	health *health.Server
}

func startBackend(t *testing.T, name string, latency time.Duration) *backend {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{name: name, addr: lis.Addr().String(), rec: &record.Recorder{}, health: health.NewServer()}
	srv := grpc.NewServer(fakes.Options{Recorder: b.rec, Latency: latency}.ServerOptions()...)
	if err := fakes.Register(srv, dataset.Shared(1), clients.Archive); err != nil {
		t.Fatal(err)
	}
	healthpb.RegisterHealthServer(srv, b.health)
	done := make(chan struct{})
	go func() { _ = srv.Serve(lis); close(done) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return b
}

func (b *backend) serving(ok bool) {
	st := healthpb.HealthCheckResponse_SERVING
	if !ok {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	b.health.SetServingStatus("", st)
}

func (b *backend) at(in instance.Instance) resolver.Address {
	in.Addr = b.addr
	return in.Address()
}

// dial opens a channel over addrs with the policy (and its config) given,
// health checking on, as conn configures it.
func dial(t *testing.T, lbConfig string, addrs ...resolver.Address) *grpc.ClientConn {
	t.Helper()
	r := manual.NewBuilderWithScheme("lanes")
	r.InitialState(resolver.State{Addresses: addrs})
	sc := fmt.Sprintf(`{"loadBalancingConfig":[%s],"healthCheckConfig":{"serviceName":""}}`, lbConfig)
	cc, err := grpc.NewClient("lanes:///archive", grpc.WithResolvers(r),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultServiceConfig(sc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func lanes(cluster string) string { return fmt.Sprintf(`{"mosaic_lanes":{"cluster":%q}}`, cluster) }

// call makes one archive call of the given color ("" for none).
func call(cc *grpc.ClientConn, color string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if color != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, contract.ColorKey, color)
	}
	_, err := archivev1.NewArchiveServiceClient(cc).BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: []int64{1, 2}})
	return err
}

// counts is the calls each backend served since the last reset, by name,
// leaving out those that served none.
func counts(bs ...*backend) map[string]int {
	out := map[string]int{}
	for _, b := range bs {
		if n := b.rec.Count(mArchives); n > 0 {
			out[b.name] = n
		}
	}
	return out
}

func reset(bs ...*backend) {
	for _, b := range bs {
		b.rec.Reset()
	}
}

// until makes calls of color until cond holds, within 10 s and 5000 calls.
// Health and connection changes reach the picker asynchronously; this is
// how a test waits for one without sleeping a fixed time.
func until(t *testing.T, cc *grpc.ClientConn, color, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for range 5000 {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		if err := call(cc, color); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

func served(b *backend) func() bool { return func() bool { return b.rec.Count(mArchives) > 0 } }

// send makes n calls of color and fails t on any error.
func send(t *testing.T, cc *grpc.ClientConn, color string, n int) {
	t.Helper()
	for range n {
		if err := call(cc, color); err != nil {
			t.Fatalf("color %q: %v", color, err)
		}
	}
}

func expectOnly(t *testing.T, what string, got map[string]int, total int, names ...string) {
	t.Helper()
	sum := 0
	for name, n := range got {
		sum += n
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+name+" ") {
			t.Errorf("%s: %d calls reached %s (counts %v), want only %v", what, n, name, got, names)
		}
	}
	if sum != total {
		t.Errorf("%s: %d calls served (%v), want %d", what, sum, got, total)
	}
}

func TestLanesCountedAtTheServers(t *testing.T) {
	base1, base2 := startBackend(t, "base1", 0), startBackend(t, "base2", 0)
	canary, blue := startBackend(t, "canary", 0), startBackend(t, "blue", 0)
	all := []*backend{base1, base2, canary, blue}
	cc := dial(t, lanes(""), base1.at(instance.Instance{}), base2.at(instance.Instance{}),
		canary.at(instance.Instance{Color: "canary"}), blue.at(instance.Instance{Color: "blue"}))
	until(t, cc, "", "both baseline instances", func() bool { return served(base1)() && served(base2)() })
	until(t, cc, "canary", "the canary instance", served(canary))
	until(t, cc, "blue", "the blue instance", served(blue))

	reset(all...)
	send(t, cc, "canary", 40)
	expectOnly(t, "canary calls", counts(all...), 40, "canary")
	reset(all...)
	send(t, cc, "", 40)
	expectOnly(t, "uncolored calls", counts(all...), 40, "base1", "base2")
	reset(all...)
	send(t, cc, "green", 40)
	expectOnly(t, "calls of a color with no instance", counts(all...), 40, "base1", "base2")
}

func TestLaneFallsBackWhileItsInstancesAreNotServing(t *testing.T) {
	base, canary := startBackend(t, "base", 0), startBackend(t, "canary", 0)
	cc := dial(t, lanes(""), base.at(instance.Instance{}), canary.at(instance.Instance{Color: "canary"}))
	until(t, cc, "canary", "the canary instance", served(canary))

	canary.serving(false) // registered, connected, but NOT_SERVING
	reset(base, canary)
	until(t, cc, "canary", "canary traffic on the baseline", served(base))
	reset(base, canary)
	send(t, cc, "canary", 30)
	expectOnly(t, "canary calls with the canary NOT_SERVING", counts(base, canary), 30, "base")

	canary.serving(true)
	until(t, cc, "canary", "canary traffic back on the canary", served(canary))
	reset(base, canary)
	send(t, cc, "canary", 30)
	expectOnly(t, "canary calls with the canary back", counts(base, canary), 30, "canary")
}

// A fresh channel's first calls wait for the instances to connect (they
// are not failed while everything is still CONNECTING).
func TestFirstCallsWaitForConnections(t *testing.T) {
	base, canary := startBackend(t, "base", 0), startBackend(t, "canary", 0)
	cc := dial(t, lanes(""), base.at(instance.Instance{}), canary.at(instance.Instance{Color: "canary"}))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			errs <- call(cc, []string{"", "canary"}[i%2])
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a first call failed: %v", err)
		}
	}
}

// With neither the lane nor the baseline ready, a call fails at once with
// UNAVAILABLE rather than waiting out its deadline.
func TestNothingReadyFailsFast(t *testing.T) {
	base := startBackend(t, "base", 0)
	cc := dial(t, lanes(""), base.at(instance.Instance{}))
	send(t, cc, "", 1)
	base.serving(false)
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for err == nil && time.Now().Before(deadline) {
		err = call(cc, "canary")
		time.Sleep(time.Millisecond)
	}
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("call with every instance NOT_SERVING: %v, want UNAVAILABLE", err)
	}
	start := time.Now()
	err = call(cc, "")
	if status.Code(err) != codes.Unavailable || time.Since(start) > 2*time.Second {
		t.Errorf("uncolored call: %v after %v, want UNAVAILABLE at once", err, time.Since(start))
	}
}

func TestClusterPreferenceFailoverAndReturn(t *testing.T) {
	c1a, c1b, c2 := startBackend(t, "c1a", 0), startBackend(t, "c1b", 0), startBackend(t, "c2", 0)
	all := []*backend{c1a, c1b, c2}
	cc := dial(t, lanes("c1"), c1a.at(instance.Instance{Cluster: "c1"}), c1b.at(instance.Instance{Cluster: "c1"}),
		c2.at(instance.Instance{Cluster: "c2"}))
	until(t, cc, "", "both c1 instances", func() bool { return served(c1a)() && served(c1b)() })
	reset(all...)
	send(t, cc, "", 40)
	expectOnly(t, "c1's calls", counts(all...), 40, "c1a", "c1b")

	c1a.serving(false)
	c1b.serving(false)
	until(t, cc, "", "failover to c2", served(c2))
	reset(all...)
	send(t, cc, "", 40)
	expectOnly(t, "c1's calls with c1 down", counts(all...), 40, "c2")

	c1b.serving(true)
	until(t, cc, "", "the return to c1", served(c1b))
	reset(all...)
	send(t, cc, "", 40)
	expectOnly(t, "c1's calls with c1b back", counts(all...), 40, "c1b")
}

// share runs calls at a small concurrency through a fresh channel of the
// policy and returns the fraction the slow backend served.
func share(t *testing.T, lbConfig string, slow *backend, bs []*backend) (float64, map[string]int) {
	const calls, workers = 240, 4
	var addrs []resolver.Address
	for _, b := range bs {
		addrs = append(addrs, b.at(instance.Instance{}))
	}
	cc := dial(t, lbConfig, addrs...)
	reset(bs...)
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range workers {
		wg.Go(func() {
			for range calls / workers {
				if err := call(cc, ""); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cc.Close()
	got := counts(bs...)
	return float64(got[slow.name]) / calls, got
}

func TestP2CSendsFewerCallsToASlowInstance(t *testing.T) {
	fast1, fast2 := startBackend(t, "fast1", 0), startBackend(t, "fast2", 0)
	slow := startBackend(t, "slow", 100*time.Millisecond)
	bs := []*backend{fast1, fast2, slow}
	rr, rrCounts := share(t, `{"round_robin":{}}`, slow, bs)
	ours, ourCounts := share(t, lanes(""), slow, bs)
	t.Logf("share of calls to the slow instance: round_robin %.3f %v, %s %.3f %v", rr, rrCounts, balance.Name, ours, ourCounts)
	if ours > 0.10 || ours > rr/2 {
		t.Errorf("the slow instance took %.3f of the calls (round robin %.3f): want at most 0.10 and half round robin's", ours, rr)
	}
}

// conn.Dial's default policy is this one, with health checking on: an
// instance of a static target that says NOT_SERVING stops getting calls.
func TestConnDialDefaultsToLanesWithHealthChecking(t *testing.T) {
	a, b := startBackend(t, "a", 0), startBackend(t, "b", 0)
	cc, err := conn.Dial("archive", "static:///"+a.addr+","+b.addr, conn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := archive.New(cc, contract.MaxBatch)
	get := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(conn.WithColor(context.Background(), "canary"), 5*time.Second)
		defer cancel()
		if _, err := client.Archives(ctx, []int64{1}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 5000 && time.Now().Before(deadline) && !(served(a)() && served(b)()); i++ {
		get()
	}
	if !served(a)() || !served(b)() {
		t.Fatalf("calls did not spread over both instances: %v", counts(a, b))
	}
	if md := b.rec.Calls()[0].Metadata; len(md.Get(contract.ColorKey)) != 1 {
		t.Errorf("the color reached the instance as %v, want it under %q", md, contract.ColorKey)
	}
	// Both stay eligible until b's health reaches the picker, so the only
	// sign of it is a long run of calls all served by a. Power of two
	// choices may favour a while b is eligible, so the run is long: 200
	// calls in a row (at 90% to a, 1e-9 by chance).
	b.serving(false)
	reset(a, b)
	for i := 0; i < 5000 && time.Now().Before(deadline) && a.rec.Count(mArchives) < 200; i++ {
		get()
		if served(b)() {
			reset(a, b)
		}
	}
	reset(a, b)
	for range 30 {
		get()
	}
	expectOnly(t, "calls with b NOT_SERVING", counts(a, b), 30, "a")
}

// What the policy has learned of an instance outlives a change of the
// instance list (here a new instance; a readiness change rebuilds the
// picker alike): a slow instance, once measured, is not tried again as if
// it were new.
func TestLearnedLoadSurvivesANewInstanceList(t *testing.T) {
	fast1, fast2 := startBackend(t, "fast1", 0), startBackend(t, "fast2", 0)
	slow := startBackend(t, "slow", 100*time.Millisecond)
	all := []*backend{fast1, fast2, slow}
	r := manual.NewBuilderWithScheme("lanes")
	r.InitialState(resolver.State{Addresses: []resolver.Address{fast1.at(instance.Instance{}), slow.at(instance.Instance{})}})
	sc := fmt.Sprintf(`{"loadBalancingConfig":[%s],"healthCheckConfig":{"serviceName":""}}`, lanes(""))
	cc, err := grpc.NewClient("lanes:///archive", grpc.WithResolvers(r),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultServiceConfig(sc))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	until(t, cc, "", "the slow instance measured", served(slow))
	send(t, cc, "", 20)

	r.UpdateState(resolver.State{Addresses: []resolver.Address{fast1.at(instance.Instance{}), slow.at(instance.Instance{}), fast2.at(instance.Instance{})}})
	reset(all...)
	until(t, cc, "", "the new instance", served(fast2))
	// Unmeasured, the new instance is presumed as fast as its peer in a
	// choice (TestANewInstanceIsPresumedAsFastAsItsPeer), so the slow one
	// may win a tie until the new one's first answer: count from then on.
	reset(all...)
	send(t, cc, "", 60)
	if got := counts(all...); got["slow"] > 0 {
		t.Errorf("after the list changed, the measured slow instance took %d calls (%v): its load was forgotten", got["slow"], got)
	}
}
