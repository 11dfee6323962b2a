package registry

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"mosaic/clients/instance"
	"mosaic/internal/leaktest"
	"mosaic/mocks/etcdtest"
)

// TestMain runs up to 8 tests at once unless -parallel says otherwise: the
// parallel ones each start their own etcd and spend their time waiting on
// it (restarts, leases running out), not on the CPU, so GOMAXPROCS (the
// default) kept this package's run at 40 s on two cores.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		if err := flag.Set("test.parallel", "8"); err != nil {
			panic(err)
		}
	}
	leaktest.Main(m)
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// logs collects a registrar's or resolver's log lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// infof records good news as "info: " and the line.
func (l *logs) infof(format string, args ...any) { l.logf("info: "+format, args...) }

func (l *logs) matching(re string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if regexp.MustCompile(re).MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

// fast retries often and gives up on an unreachable etcd quickly, so that the
// tests see many tries in a short outage.
func fast(l *logs) []Option {
	return []Option{
		WithBackoff(Backoff{Base: 20 * time.Millisecond, Max: 200 * time.Millisecond}),
		WithTimeout(250 * time.Millisecond),
		WithLogf(l.logf),
		WithInfof(l.infof),
	}
}

func newRegistrar(t *testing.T, cli *clientv3.Client, id string, services []string, inst instance.Instance, opts ...Option) *Registrar {
	t.Helper()
	r, err := NewRegistrar(cli, id, services, inst, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Deregister(context.Background()) })
	return r
}

// get returns the value and lease of key, or "" and 0 if it is absent.
func get(t *testing.T, cli *clientv3.Client, key string) (string, clientv3.LeaseID) {
	t.Helper()
	resp, err := cli.Get(timeout(t, 10*time.Second), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return "", 0
	}
	return string(resp.Kvs[0].Value), clientv3.LeaseID(resp.Kvs[0].Lease)
}

// waitKey polls until key is present (or absent) and returns how long that
// took; it fails after limit.
func waitKey(t *testing.T, cli *clientv3.Client, key string, present bool, limit time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	for {
		v, _ := get(t, cli, key)
		if (v != "") == present {
			return time.Since(begin)
		}
		if time.Since(begin) > limit {
			t.Fatalf("%s present=%v: not within %v", key, !present, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRegistrarWritesOneKeyPerServiceUnderALease(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	inst := instance.Instance{Addr: "127.0.0.1:9001", Color: "canary", Cluster: "c1", Zone: "z1", Weight: 2}
	r := newRegistrar(t, cli, "host-9001", []string{"stat", "feed"}, inst)
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"/mosaic/services/stat/host-9001", "/mosaic/services/feed/host-9001"}
	if got := r.Keys(); strings.Join(got, " ") != strings.Join(wantKeys, " ") {
		t.Errorf("keys %q, want %q", got, wantKeys)
	}
	for _, k := range wantKeys {
		v, lease := get(t, cli, k)
		var got instance.Instance
		if err := json.Unmarshal([]byte(v), &got); err != nil || got != inst {
			t.Errorf("%s = %q (%v), want %+v", k, v, err, inst)
		}
		if lease == 0 || lease != r.Lease() {
			t.Errorf("%s under lease %x, registrar holds %x", k, lease, r.Lease())
		}
	}
	ttl, err := cli.TimeToLive(timeout(t, 5*time.Second), r.Lease())
	if err != nil {
		t.Fatal(err)
	}
	if ttl.GrantedTTL != int64(DefaultTTL/time.Second) || ttl.GrantedTTL > 10 || ttl.TTL <= 0 {
		t.Errorf("lease granted %d s, %d s left; want %v, at most 10 s", ttl.GrantedTTL, ttl.TTL, DefaultTTL)
	}
}

// With a 1 s TTL, the key outlives several TTLs under its first lease: the
// lease is kept alive, not re-granted.
func TestKeepAliveHoldsPastSeveralTTLs(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	r := newRegistrar(t, cli, "a", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"}, WithTTL(time.Second))
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	first := r.Lease()
	granted, err := cli.TimeToLive(timeout(t, 5*time.Second), first)
	if err != nil {
		t.Fatal(err)
	}
	ttl := time.Duration(granted.GrantedTTL) * time.Second // etcd may raise 1 s to its minimum
	time.Sleep(3 * ttl)
	if v, lease := get(t, cli, r.Keys()[0]); v == "" || lease != first {
		t.Errorf("after 3 TTLs of %v: value %q under lease %x, want the first lease %x", ttl, v, lease, first)
	}
	if n := r.Registrations(); n != 1 {
		t.Errorf("%d registrations, want 1", n)
	}
}

// etcd down for 5 s, over twice the TTL (etcd makes 1 s into 2 s): the
// keep-alive gives up on the lease, the registrar tries again and again (more
// than the five tries a well-known registrar stops after) and registers under
// a new lease once etcd is back, which it then keeps alive.
func TestReRegistersAfterEtcdRestart(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	var l logs
	r := newRegistrar(t, cli, "a", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"}, append(fast(&l), WithTTL(time.Second))...)
	reg := prometheus.NewRegistry()
	if err := RegisterRegistrar(reg, "mock", r); err != nil {
		t.Fatal(err)
	}
	// What an operator's alert reads: registered, and how many times.
	metrics := func(when string, registered, registrations float64) {
		t.Helper()
		for name, want := range map[string]float64{"mock_registry_registered": registered, "mock_registry_registrations_total": registrations} {
			if got := gathered(t, reg, name); got != want {
				t.Errorf("%s: %s %v, want %v", when, name, got, want)
			}
		}
	}
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	metrics("registered", 1, 1)
	first := r.Lease()
	// Until its first keep-alive answer, etcd's client allows a lease
	// DialTimeout+1 s; after it, the TTL. Stop in that steady state. (etcd
	// extends every lease on restart: a lease whose client had not given up
	// survives, and then the keys never went.)
	time.Sleep(1500 * time.Millisecond)
	etcd.Stop()
	time.Sleep(5 * time.Second)
	// The keep-alive gives the lease up past its TTL (2 s); a loaded
	// machine may take a while longer.
	for deadline := time.Now().Add(10 * time.Second); r.Lease() != 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	metrics("the lease lost with etcd away", 0, 1)
	etcd.Restart()
	if err := r.Wait(timeout(t, 20*time.Second), 2); err != nil {
		t.Fatalf("not registered again: %v; log %q", err, l.matching("."))
	}
	metrics("registered again", 1, 2)
	if second := r.Lease(); second == first || second == 0 {
		t.Errorf("lease %x after the restart, first %x: want a new one", second, first)
	}
	// Tries are logged at 1, 2, 4, 8…: the last one logged is a floor.
	tries := 0
	for _, line := range l.matching(`^registry: registering a \(try \d+`) {
		n, _ := strconv.Atoi(regexp.MustCompile(`try (\d+)`).FindStringSubmatch(line)[1])
		tries = max(tries, n)
	}
	if tries < 8 {
		t.Errorf("try %d the last logged during a 5 s outage, want 8 or later (a try every ≤450 ms)", tries)
	}
	time.Sleep(3 * time.Second) // past the new lease's TTL: it is kept alive
	if v, lease := get(t, cli, r.Keys()[0]); v == "" || lease != r.Lease() {
		t.Errorf("3 s after re-registering: %q under lease %x, want the live lease %x", v, lease, r.Lease())
	}
	t.Logf("%d failed tries while etcd was down; %d registrations", tries, r.Registrations())
}

// A partition (etcd keeps running, the registrar cannot reach it) lets the
// lease expire on the server, which deletes the key; once the partition
// heals, the registrar writes it again.
func TestReRegistersAfterPartition(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	direct := etcd.Client(t)
	proxy := etcdtest.NewProxy(t, etcd.Endpoint())
	var l logs
	r := newRegistrar(t, etcdtest.NewClient(t, proxy.Addr()), "a", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"}, append(fast(&l), WithTTL(time.Second))...)
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	waitKey(t, direct, r.Keys()[0], false, 10*time.Second) // the server expired the lease
	proxy.Heal()
	if err := r.Wait(timeout(t, 20*time.Second), 2); err != nil {
		t.Fatalf("not registered again: %v; log %q", err, l.matching("."))
	}
	waitKey(t, direct, r.Keys()[0], true, 5*time.Second)
}

func TestDeregisterDeletesTheKeysAtOnce(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	r := newRegistrar(t, cli, "a", []string{"stat", "feed"}, instance.Instance{Addr: "127.0.0.1:1"})
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	lease := r.Lease()
	if err := r.Deregister(timeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	// No polling: the keys are gone when Deregister returns.
	for _, k := range r.Keys() {
		if v, _ := get(t, cli, k); v != "" {
			t.Errorf("%s still %q after Deregister", k, v)
		}
	}
	if ttl, err := cli.TimeToLive(timeout(t, 5*time.Second), lease); err != nil || ttl.TTL != -1 {
		t.Errorf("lease after Deregister: %v, %v; want revoked (TTL -1)", ttl, err)
	}
	if r.Lease() != 0 {
		t.Errorf("Lease() = %x after Deregister", r.Lease())
	}
	if err := r.Deregister(timeout(t, 5*time.Second)); err != nil {
		t.Errorf("second Deregister: %v", err)
	}
}

// Deregister with etcd down neither hangs past its context nor leaves the
// registrar running.
func TestDeregisterWithEtcdDownReturns(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	r := newRegistrar(t, etcd.Client(t), "a", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"})
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	etcd.Stop()
	begin := time.Now()
	if err := r.Deregister(timeout(t, time.Second)); err == nil {
		t.Error("Deregister with etcd down reported success")
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Deregister took %v with a 1 s context", d)
	}
}

func TestNewRegistrarRejectsBadArguments(t *testing.T) {
	ok := instance.Instance{Addr: "127.0.0.1:1"}
	for _, tt := range []struct {
		id       string
		services []string
		inst     instance.Instance
		opts     []Option
		want     string
	}{
		{"", []string{"stat"}, ok, nil, "instance id"},
		{"a/b", []string{"stat"}, ok, nil, "instance id"},
		{"a", nil, ok, nil, "no service"},
		{"a", []string{"stat", "stat"}, ok, nil, "twice"},
		{"a", []string{"st at"}, ok, nil, "service name"},
		{"a", []string{"stat"}, instance.Instance{}, nil, "no address"},
		{"a", []string{"stat"}, ok, []Option{WithTTL(11 * time.Second)}, "TTL"},
		{"a", []string{"stat"}, ok, []Option{WithTTL(1500 * time.Millisecond)}, "TTL"},
		{"a", []string{"stat"}, ok, []Option{WithPrefix("mosaic")}, "prefix"},
		{"a", []string{"stat"}, ok, []Option{WithBackoff(Backoff{})}, "backoff"},
	} {
		if _, err := NewRegistrar(nil, tt.id, tt.services, tt.inst, tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewRegistrar(%q, %q, %+v): %v, want an error about %q", tt.id, tt.services, tt.inst, err, tt.want)
		}
	}
}

func TestBackoffIsCappedJitteredAndGrows(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for n := 1; n <= 100; n++ {
		want := min(b.Base<<min(n-1, 20), b.Max)
		for range 50 {
			if d := b.Delay(n); d < want/2 || d >= want {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v)", n, d, want/2, want)
			}
		}
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[b.Delay(5)] = true
	}
	if len(seen) < 10 {
		t.Errorf("50 delays took %d values: no jitter", len(seen))
	}
}

func TestParseEndpoints(t *testing.T) {
	got, err := ParseEndpoints(" 127.0.0.1:2379, ,10.0.0.1:2379 ")
	if err != nil || strings.Join(got, "|") != "127.0.0.1:2379|10.0.0.1:2379" {
		t.Errorf("ParseEndpoints: %q, %v", got, err)
	}
	if _, err := ParseEndpoints(" , "); err == nil {
		t.Error("no endpoint: no error")
	}
	for _, ep := range []string{"localhost:2379", "http://127.0.0.1:2379", "https://etcd.example:2379", "unix:///run/etcd.sock", "[::1]:2379"} {
		if _, err := ParseEndpoints(ep); err != nil {
			t.Errorf("ParseEndpoints(%q): %v", ep, err)
		}
	}
	for _, ep := range []string{"foo bar", "localhost", ":::", "http://[::1", "ftp://x:1", "x:0", "x:99999", "x:port", ":2379", "http://", "unix://"} {
		if _, err := ParseEndpoints("127.0.0.1:2379," + ep); err == nil || !strings.Contains(err.Error(), strconv.Quote(ep)) {
			t.Errorf("ParseEndpoints(%q): %v, want an error naming it", ep, err)
		}
	}
	if k := Key("/x/", "stat", strconv.Itoa(1)); k != "/x/stat/1" {
		t.Errorf("Key = %q", k)
	}
}

// A key deleted by hand while the lease lives comes back under the same
// lease, without a new registration.
func TestAKeyDeletedWhileTheLeaseLivesIsWrittenAgain(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	var l logs
	r := newRegistrar(t, cli, "a", []string{"stat", "feed"}, instance.Instance{Addr: "127.0.0.1:1"}, fast(&l)...)
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	for _, k := range r.Keys() {
		if _, err := cli.Delete(timeout(t, 5*time.Second), k); err != nil {
			t.Fatal(err)
		}
		waitKey(t, cli, k, true, 5*time.Second)
		if _, lease := get(t, cli, k); lease != r.Lease() {
			t.Errorf("%s back under lease %x, want the live lease %x", k, lease, r.Lease())
		}
	}
	if n := r.Registrations(); n != 1 {
		t.Errorf("%d registrations, want 1: the key was restored, not re-registered", n)
	}
	if got := l.matching(`deleted while lease`); len(got) != 2 {
		t.Errorf("log: %q, want one line per restored key", got)
	}
}

// Two processes with one instance id: the last to register holds the key,
// the other says so in its log and does not take it back; when the holder
// deregisters, the other's key is written again, so the instance that is
// still up stays in discovery.
func TestASharedInstanceIDOutlivesTheOtherDeregistering(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	var l1, l2 logs
	first := newRegistrar(t, cli, "host", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"}, fast(&l1)...)
	if err := first.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	second := newRegistrar(t, cli, "host", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:2"}, fast(&l2)...)
	if err := second.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	key := first.Keys()[0]
	deadline := time.Now().Add(5 * time.Second)
	for len(l1.matching(`held by lease .* instance id "host"`)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the first registrar did not log that its key was taken; log %q", l1.matching("."))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a registrar that took the key back would have by now
	if v, lease := get(t, cli, key); !strings.Contains(v, "127.0.0.1:2") || lease != second.Lease() {
		t.Fatalf("%s = %q under lease %x, want the second registrar's (lease %x)", key, v, lease, second.Lease())
	}
	if err := second.Deregister(timeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	waitKey(t, cli, key, true, 5*time.Second)
	if v, lease := get(t, cli, key); !strings.Contains(v, "127.0.0.1:1") || lease != first.Lease() {
		t.Errorf("after the second deregistered: %s = %q under lease %x, want the first's (lease %x)", key, v, lease, first.Lease())
	}
}

// Deregister keeps to its context even when etcd stops answering in the
// middle of a registration: the registration's own cleanup does not hold it
// for a full operation timeout. Deregister's revoke, bounded by ctx, covers
// the lease that registration was granted.
func TestDeregisterKeepsToItsContextDuringARegistration(t *testing.T) {
	etcd := etcdtest.Start(t)
	proxy := etcdtest.NewProxy(t, etcd.Endpoint())
	var granted atomic.Bool
	cutAfterGrant := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if strings.HasSuffix(method, "/LeaseGrant") && err == nil && granted.CompareAndSwap(false, true) {
			proxy.Cut() // the transaction that writes the keys hangs
		}
		return err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: []string{proxy.Addr()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(cutAfterGrant)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	var l logs
	r, err := NewRegistrar(cli, "a", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"}, WithLogf(l.logf), WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for !granted.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the transaction waits on the cut connection
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	begin := time.Now()
	r.Deregister(ctx) // its revoke fails: etcd is cut off
	if took := time.Since(begin); took > 2500*time.Millisecond {
		t.Errorf("Deregister with a 500 ms context took %v (the operation timeout is 5 s)", took)
	}
}

func TestHostIDIsOneKeySegment(t *testing.T) {
	for _, tt := range []struct {
		host string
		port int
		want string
	}{
		{"box", 9001, "box-9001"},
		{"box", 0, "box"},
		{"a/b c\td", 80, "a_b_c_d-80"},
	} {
		got := HostID(tt.host, tt.port)
		if got != tt.want || !validName(got) {
			t.Errorf("HostID(%q, %d) = %q, want %q, a valid key segment", tt.host, tt.port, got, tt.want)
		}
	}
}

// gathered is the value of the one series named name on reg.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name || len(f.GetMetric()) != 1 {
			continue
		}
		m := f.GetMetric()[0]
		if g := m.GetGauge(); g != nil {
			return g.GetValue()
		}
		return m.GetCounter().GetValue()
	}
	t.Fatalf("no series %s on the registry", name)
	return 0
}
