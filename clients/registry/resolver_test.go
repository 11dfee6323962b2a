package registry

import (
	"context"
	"encoding/json"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/resolver"

	"mosaic/clients/instance"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/leaktest"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/etcdtest"
	"mosaic/mocks/fakes"
)

// build starts a resolver for target on cli, recording into a ClientConn;
// cleanup closes it.
func build(t *testing.T, cli *clientv3.Client, target string, opts ...Option) (*etcdtest.ClientConn, resolver.Resolver) {
	t.Helper()
	b, err := NewBuilder(cli, opts...)
	if err != nil {
		t.Fatal(err)
	}
	cc := etcdtest.NewClientConn()
	r, err := b.Build(resolver.Target{URL: *mustParse(t, target)}, cc, resolver.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return cc, r
}

func put(t *testing.T, cli *clientv3.Client, service, id string, inst instance.Instance) {
	t.Helper()
	v, _ := json.Marshal(inst)
	if _, err := cli.Put(timeout(t, 10*time.Second), Key(Prefix, service, id), string(v)); err != nil {
		t.Fatal(err)
	}
}

func del(t *testing.T, cli *clientv3.Client, service, id string) {
	t.Helper()
	if _, err := cli.Delete(timeout(t, 10*time.Second), Key(Prefix, service, id)); err != nil {
		t.Fatal(err)
	}
}

// addrs is a matcher for WaitState: exactly these addresses, in any order.
func addrs(want ...string) func([]instance.Instance) bool {
	return func(got []instance.Instance) bool {
		var have []string
		for _, i := range got {
			have = append(have, i.Addr)
		}
		slices.Sort(have)
		w := slices.Clone(want)
		slices.Sort(w)
		return slices.Equal(have, w)
	}
}

// noEmptyState fails the test if the resolver ever reported no address.
func noEmptyState(t *testing.T, cc *etcdtest.ClientConn) {
	t.Helper()
	for i, s := range cc.States() {
		if len(s) == 0 {
			t.Errorf("state %d of %d is empty: every call would fail", i, len(cc.States()))
		}
	}
}

func TestResolverListsThenWatches(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	a := instance.Instance{Addr: "127.0.0.1:1", Color: "canary", Cluster: "c1", Zone: "z1", Weight: 3}
	put(t, cli, "stat", "a", a)
	put(t, cli, "stats", "x", instance.Instance{Addr: "127.0.0.1:99"}) // another service sharing a prefix
	cc, _ := build(t, cli, "etcd:///stat")

	got := cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))
	if got[0] != a {
		t.Errorf("listed %+v, want %+v (every field carried on the address)", got[0], a)
	}
	put(t, cli, "stat", "b", instance.Instance{Addr: "127.0.0.1:2"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1", "127.0.0.1:2"))
	// A bad value is skipped, not fatal: the next good change still arrives.
	if _, err := cli.Put(timeout(t, 5*time.Second), Key(Prefix, "stat", "bad"), "{not json"); err != nil {
		t.Fatal(err)
	}
	del(t, cli, "stat", "a")
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:2"))
	// A re-registered instance that changed lane is reported again (with
	// a baseline instance beside it: a list of lanes alone would be kept
	// out, see TestResolverWantsABaselineInstance).
	put(t, cli, "stat", "c", instance.Instance{Addr: "127.0.0.1:3"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:2", "127.0.0.1:3"))
	put(t, cli, "stat", "b", instance.Instance{Addr: "127.0.0.1:2", Color: "blue"})
	got = cc.WaitState(t, 10*time.Second, func(l []instance.Instance) bool {
		return len(l) == 2 && slices.ContainsFunc(l, func(i instance.Instance) bool { return i.Color == "blue" })
	})
	if i := slices.IndexFunc(got, func(i instance.Instance) bool { return i.Color == "blue" }); got[i].Addr != "127.0.0.1:2" {
		t.Errorf("after the lane change: %+v", got)
	}
	noEmptyState(t, cc)
}

// The last instance going away leaves the last list in place, and the next
// instance to come replaces it. Before anything is registered, the resolver
// reports an error rather than an empty list.
func TestResolverNeverReportsAnEmptyList(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	cc, _ := build(t, cli, "etcd:///feed")
	if err := cc.WaitError(t, 10*time.Second); !strings.Contains(err.Error(), "no instance of feed") {
		t.Errorf("error before any instance: %v", err)
	}
	put(t, cli, "feed", "a", instance.Instance{Addr: "127.0.0.1:1"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))
	del(t, cli, "feed", "a")
	put(t, cli, "feed", "b", instance.Instance{Addr: "127.0.0.1:2"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:2"))
	noEmptyState(t, cc)
	if n := len(cc.States()); n != 2 {
		t.Errorf("%d states, want 2 (a, then b): %v", n, cc.States())
	}
}

// A compaction while the resolver's connection is cut: on reconnecting, its
// watch resumes from a compacted revision and is refused. The resolver lists
// again and finds what changed meanwhile.
func TestResolverRelistsAfterCompaction(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	direct := etcd.Client(t)
	proxy := etcdtest.NewProxy(t, etcd.Endpoint())
	put(t, direct, "stat", "a", instance.Instance{Addr: "127.0.0.1:1"})
	var l logs
	cc, _ := build(t, etcdtest.NewClient(t, proxy.Addr()), "etcd:///stat", fast(&l)...)
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))

	proxy.Cut()
	put(t, direct, "stat", "b", instance.Instance{Addr: "127.0.0.1:2"})
	del(t, direct, "stat", "a")
	etcd.Compact(t)
	proxy.Heal()
	cc.WaitState(t, 20*time.Second, addrs("127.0.0.1:2"))
	if len(l.matching("watch of stat broke: .*compacted")) == 0 {
		t.Errorf("no compacted watch in the log %q: the change came some other way", l.matching("."))
	}
	// And it watches again: a later change arrives.
	put(t, direct, "stat", "c", instance.Instance{Addr: "127.0.0.1:3"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:2", "127.0.0.1:3"))
	noEmptyState(t, cc)
}

// etcd back with its data lost: its revision starts again below the one
// the resolver watched from, and the watch etcd's client resumes would wait
// for it in silence, new instances unseen. The resolver sees the revision
// go back, lists again, and follows what the new store holds.
func TestResolverRelistsWhenEtcdLosesItsData(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	direct := etcd.Client(t)
	put(t, direct, "stat", "a", instance.Instance{Addr: "127.0.0.1:1"})
	for i := range 20 { // the revision well above what the new store will reach
		put(t, direct, "other", strconv.Itoa(i), instance.Instance{Addr: "127.0.0.1:9"})
	}
	var l logs
	cc, _ := build(t, etcd.Client(t), "etcd:///stat", append(fast(&l), WithRevisionCheck(200*time.Millisecond))...)
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))
	etcd.Wipe()
	put(t, direct, "stat", "b", instance.Instance{Addr: "127.0.0.1:2"})
	cc.WaitState(t, 20*time.Second, addrs("127.0.0.1:2"))
	if len(l.matching("watch of stat broke: etcd's revision went back")) == 0 {
		t.Errorf("no revision gone back in the log %q", l.matching("."))
	}
	put(t, direct, "stat", "c", instance.Instance{Addr: "127.0.0.1:3"}) // and it watches the new store
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:2", "127.0.0.1:3"))
	noEmptyState(t, cc)
}

// The same for a quiet service: listed at a low revision, which the store
// then passed with other services' writes. A new store soon passes the
// service's old revision, so the check goes by the store's revision at the
// last check, not by the service's last event.
func TestResolverRelistsAQuietServiceWhenEtcdLosesItsData(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	direct := etcd.Client(t)
	put(t, direct, "stat", "a", instance.Instance{Addr: "127.0.0.1:1"})
	var l logs
	cc, _ := build(t, etcd.Client(t), "etcd:///stat", append(fast(&l), WithRevisionCheck(200*time.Millisecond))...)
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))
	for i := range 40 { // other services' writes, which the stat watch never sees
		put(t, direct, "other", strconv.Itoa(i), instance.Instance{Addr: "127.0.0.1:9"})
	}
	time.Sleep(time.Second) // checks at the store's revision
	etcd.Wipe()
	put(t, direct, "stat", "b", instance.Instance{Addr: "127.0.0.1:2"})
	for i := range 10 { // past the stat watch's own revision, below the store's old one
		put(t, direct, "other", strconv.Itoa(i), instance.Instance{Addr: "127.0.0.1:9"})
	}
	cc.WaitState(t, 20*time.Second, addrs("127.0.0.1:2"))
	noEmptyState(t, cc)
}

// A new store that passed the old revision before any check ran: the keys
// written first, below the revision the watch resumed at, are never
// delivered. When etcd then holds another number of keys under the prefix
// than the watch does, at two checks in a row, the resolver lists again.
func TestResolverRelistsWhenEtcdHoldsOtherKeys(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	direct := etcd.Client(t)
	for i := range 20 {
		put(t, direct, "other", strconv.Itoa(i), instance.Instance{Addr: "127.0.0.1:9"})
	}
	put(t, direct, "stat", "a", instance.Instance{Addr: "127.0.0.1:1"})
	var l logs
	cc, _ := build(t, etcd.Client(t), "etcd:///stat", append(fast(&l), WithRevisionCheck(2*time.Second))...)
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))
	for i := range 20 {
		put(t, direct, "other", strconv.Itoa(i), instance.Instance{Addr: "127.0.0.1:9"})
	}
	time.Sleep(2500 * time.Millisecond) // a check at the store's revision
	etcd.Wipe()
	// a and b land below the revision the watch resumes at; then the new
	// store passes the old one, all within a check's interval (most runs).
	put(t, direct, "stat", "a", instance.Instance{Addr: "127.0.0.1:1"})
	put(t, direct, "stat", "b", instance.Instance{Addr: "127.0.0.1:2"})
	for i := range 50 {
		put(t, direct, "other", strconv.Itoa(i), instance.Instance{Addr: "127.0.0.1:9"})
	}
	cc.WaitState(t, 20*time.Second, addrs("127.0.0.1:1", "127.0.0.1:2"))
	noEmptyState(t, cc)
}

// etcd stopped for 5 s, past the registrar's TTL: nothing is reported while
// it is down (the last list serves), and after the restart the resolver
// follows the registry again: the old instance comes back by itself and one
// registered after the restart is added. No list is ever empty.
func TestResolverSurvivesEtcdRestart(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	var l, rl logs
	opts := append(fast(&l), WithTTL(time.Second))
	newRegistrar(t, etcd.Client(t), "a", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"}, opts...)
	m := NewMetrics(prometheus.NewRegistry())
	cc, _ := build(t, etcd.Client(t), "etcd:///stat", append(fast(&rl), WithRevisionCheck(200*time.Millisecond), WithMetrics(m))...)
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))
	time.Sleep(1500 * time.Millisecond) // the steady state: keep-alives answered
	reachable, instances := m.reachable.WithLabelValues("stat"), m.instances.WithLabelValues("stat")
	if r, n := testutil.ToFloat64(reachable), testutil.ToFloat64(instances); r != 1 || n != 1 {
		t.Errorf("etcd up: bff_registry_reachable %v, bff_registry_instances %v; want 1 and 1", r, n)
	}

	before := len(cc.States())
	etcd.Stop()
	time.Sleep(5 * time.Second)
	if n := len(cc.States()); n != before {
		t.Errorf("%d states while etcd was down: %v", n-before, cc.States()[before:])
	}
	// What an operator alerts on: the list still serves, from an etcd
	// that no longer answers.
	if r, n := testutil.ToFloat64(reachable), testutil.ToFloat64(instances); r != 0 || n != 1 {
		t.Errorf("etcd down: bff_registry_reachable %v, bff_registry_instances %v; want 0 and the last list's 1", r, n)
	}
	etcd.Restart()
	b := newRegistrar(t, etcd.Client(t), "b", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:2"}, opts...)
	if err := b.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	cc.WaitState(t, 20*time.Second, addrs("127.0.0.1:1", "127.0.0.1:2"))
	noEmptyState(t, cc)
	// The next revision check (every 200 ms here) finds etcd answering.
	for deadline := time.Now().Add(5 * time.Second); testutil.ToFloat64(reachable) != 1 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if r, n := testutil.ToFloat64(reachable), testutil.ToFloat64(instances); r != 1 || n != 2 {
		t.Errorf("etcd back: bff_registry_reachable %v, bff_registry_instances %v; want 1 and 2", r, n)
	}
	t.Logf("states after the restart: %v", cc.States()[before:])
	// etcd's client resumed the watch in silence; the log says what
	// happened, once each way.
	if lost, back := rl.matching(`^registry: etcd does not answer .*stat keeps its last list`), rl.matching(`^info: registry: etcd answers again; watching stat`); len(lost) != 1 || len(back) != 1 {
		t.Errorf("resolver log %q: want one warning for etcd lost and one good news for its return", rl.matching("."))
	}
	if got := l.matching(`^info: registry: registered (a|b) under lease`); len(got) < 2 {
		t.Errorf("registrar log %q: want each registration as good news (a's before the restart, b's after)", l.matching("."))
	}
}

// The registrar is cut off from etcd (etcd runs on): its lease expires and
// the registry lists nothing, though the instance is alive. The resolver keeps
// it, and is back in step when the registrar registers again.
func TestResolverKeepsTheListWhenLeasesExpire(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	proxy := etcdtest.NewProxy(t, etcd.Endpoint())
	var l logs
	opts := append(fast(&l), WithTTL(time.Second))
	r := newRegistrar(t, etcdtest.NewClient(t, proxy.Addr()), "a", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"}, opts...)
	cc, _ := build(t, etcd.Client(t), "etcd:///stat", opts...)
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))

	proxy.Cut()
	waitKey(t, etcd.Client(t), r.Keys()[0], false, 10*time.Second)
	put(t, etcd.Client(t), "stat", "b", instance.Instance{Addr: "127.0.0.1:2"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:2")) // the delete went by unreported
	proxy.Heal()
	cc.WaitState(t, 20*time.Second, addrs("127.0.0.1:1", "127.0.0.1:2"))
	noEmptyState(t, cc)
	if len(l.matching("lists no instance .* keeping the last 1")) == 0 {
		t.Errorf("the resolver never held its list: %q", l.matching("."))
	}
}

func TestResolverFilterSeesTheSortedFullList(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	put(t, cli, "reply", "b", instance.Instance{Addr: "127.0.0.1:2", Color: "canary"})
	put(t, cli, "reply", "a", instance.Instance{Addr: "127.0.0.1:1"})
	seen := make(chan []string, 10)
	canary := func(service string, all []instance.Instance) []instance.Instance {
		var ids []string
		var out []instance.Instance
		for _, i := range all {
			ids = append(ids, service+"@"+i.Addr)
			if i.Color == "canary" {
				out = append(out, i)
			}
		}
		seen <- ids
		return out
	}
	cc, _ := build(t, cli, "etcd:///reply", WithFilter(canary))
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:2"))
	if ids := <-seen; strings.Join(ids, " ") != "reply@127.0.0.1:1 reply@127.0.0.1:2" {
		t.Errorf("the filter saw %q, want both, sorted by key", ids)
	}
	// Filtered down to nothing is empty too: the last list stays.
	del(t, cli, "reply", "b")
	put(t, cli, "reply", "c", instance.Instance{Addr: "127.0.0.1:3", Color: "canary"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:3"))
	noEmptyState(t, cc)
}

// Close stops the resolver's goroutine, also while it is retrying against an
// etcd that is down. etcd's client may keep a watch stream after the last
// watch on it ends (one closed before etcd confirmed it), until the next watch
// or the client's end; so the checks are: no resolver goroutine outlives
// Close, resolvers that come and go do not pile up streams (once the closed
// ones have wound down), and closing the client leaves nothing.
func TestResolverCloseLeavesNothingRunning(t *testing.T) {
	etcd := etcdtest.Start(t)
	beforeClient := goleak.IgnoreCurrent()
	cli := etcdtest.NewClient(t, etcd.Endpoint())
	put(t, cli, "stat", "a", instance.Instance{Addr: "127.0.0.1:1"})
	b, _ := loggedBuilder(t, cli)
	cycle := func() {
		cc := etcdtest.NewClientConn()
		r, err := b.Build(resolver.Target{URL: *mustParse(t, "etcd:///stat")}, cc, resolver.BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))
		r.Close()
		noResolverGoroutine(t)
	}
	for range 6 {
		cycle()
	}
	// A stream whose last watch ended winds down in its own goroutine,
	// after Close: right after the sixth Close the count is 2 as often as
	// not (always on one CPU), 1 a few milliseconds later. Streams that
	// piled up would stay.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n := goroutines("(*watchGRPCStream).run")
		if n <= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d etcd watch streams 5 s after 6 resolvers came and went, want at most 1", n)
			break
		}
	}

	etcd.Stop()
	r, err := b.Build(resolver.Target{URL: *mustParse(t, "etcd:///stat")}, etcdtest.NewClientConn(), resolver.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // failing and backing off
	begin := time.Now()
	r.Close()
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Close took %v while etcd was down", d)
	}
	noResolverGoroutine(t)
	if err := cli.Close(); err != nil {
		t.Logf("closing the client: %v", err)
	}
	leaktest.None(t, beforeClient)
}

// noResolverGoroutine fails if a goroutine of a resolver is running.
func noResolverGoroutine(t *testing.T) {
	t.Helper()
	if n := goroutines("(*etcdResolver)."); n > 0 {
		t.Errorf("%d resolver goroutines outlived Close", n)
	}
}

// goroutines counts the goroutines with fn in their stack.
func goroutines(fn string) int {
	buf := make([]byte, 4<<20)
	n := 0
	for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

func TestBuildRejectsABadTarget(t *testing.T) {
	b, err := NewBuilder(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"etcd:///", "etcd:///a/b"} {
		if _, err := b.Build(resolver.Target{URL: *mustParse(t, target)}, etcdtest.NewClientConn(), resolver.BuildOptions{}); err == nil {
			t.Errorf("Build(%q): no error", target)
		}
	}
	if b.Scheme() != "etcd" {
		t.Errorf("scheme %q", b.Scheme())
	}
}

// Through a real gRPC channel: etcd:///stat dials the registered instance.
func TestGRPCDialsThroughTheResolver(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	cluster, err := cluster.Start(t.Context(), dataset.Shared(1), fakes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	r := newRegistrar(t, cli, "a", []string{"stat"}, instance.Instance{Addr: cluster.Addr("stat")})
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(cli)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient("etcd:///stat", grpc.WithResolvers(b), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := statv1.NewStatServiceClient(conn).BatchGetStats(timeout(t, 10*time.Second), &statv1.BatchGetStatsRequest{Aids: []int64{1}})
	if err != nil || len(resp.GetStats()) != 1 {
		t.Errorf("BatchGetStats via etcd:///stat: %v, %v", resp, err)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Listed is false for a service until a resolver of it has given its
// channel instances: false while the registry cannot be read, and false
// while it lists none (a bff up before its downstreams would answer every
// scene 503): what a replica's /readyz waits for.
// loggedBuilder is a builder on cli that retries fast, and the log it
// writes.
func loggedBuilder(t *testing.T, cli *clientv3.Client) (*Builder, *logs) {
	t.Helper()
	l := &logs{}
	b, err := NewBuilder(cli, fast(l)...)
	if err != nil {
		t.Fatal(err)
	}
	return b, l
}

func TestBuilderListedAfterTheFirstList(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	b, l := loggedBuilder(t, cli)
	if b.Listed("stat") {
		t.Fatal("stat listed before any resolver of it")
	}
	etcd.Stop()
	cc := etcdtest.NewClientConn()
	r, err := b.Build(resolver.Target{URL: *mustParse(t, "etcd:///stat")}, cc, resolver.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	time.Sleep(time.Second) // several failed lists
	if b.Listed("stat") {
		t.Fatal("stat listed while etcd was down")
	}
	// There is no last list to keep serving, and the log says so.
	if none, last := l.matching(`^registry: listing stat .*no list yet`), l.matching(`last list`); len(none) == 0 || len(last) != 0 {
		t.Errorf("log %q: want the failed lists to say there is no list yet", l.matching("."))
	}
	etcd.Restart()
	listedNone := func() bool {
		for _, err := range cc.Errors() {
			if strings.Contains(err.Error(), "no instance of stat") {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(20 * time.Second); !listedNone(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("stat's empty list not read within 20 s of etcd's restart")
		}
	}
	if b.Listed("stat") {
		t.Fatal("stat listed while the registry holds no instance of it")
	}
	put(t, cli, "stat", "a", instance.Instance{Addr: "127.0.0.1:9001"})
	for deadline := time.Now().Add(20 * time.Second); !b.Listed("stat"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("stat not listed within 20 s of its first instance")
		}
	}
	if b.Listed("archive") {
		t.Error("archive listed, though no resolver of it was built")
	}
}

// Uncolored calls go to the baseline lane only, so a list of lane instances
// alone is empty to them: it never replaces a list with a baseline
// instance, and a service listed so far only in lanes is not listed (the
// replica is not ready), though the lane gets its instances.
func TestResolverWantsABaselineInstance(t *testing.T) {
	t.Parallel()
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	b, l := loggedBuilder(t, cli)
	cc := etcdtest.NewClientConn()
	r, err := b.Build(resolver.Target{URL: *mustParse(t, "etcd:///feed")}, cc, resolver.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)

	put(t, cli, "feed", "canary", instance.Instance{Addr: "127.0.0.1:1", Color: "canary"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1"))
	if b.Listed("feed") {
		t.Error("feed listed with a canary instance only: the replica would be ready while every uncolored call fails")
	}
	put(t, cli, "feed", "base", instance.Instance{Addr: "127.0.0.1:2"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1", "127.0.0.1:2"))
	// Listed (and the log line) follow the state given to the channel.
	for deadline := time.Now().Add(10 * time.Second); !b.Listed("feed"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("feed not listed with a baseline instance")
		}
	}
	if len(l.matching(`^info: registry: feed instances: 2 \(\+127\.0\.0\.1:2\)$`)) != 1 || len(l.matching(`^info: registry: feed instances: 1 \(\+127\.0\.0\.1:1 \(canary\)\)$`)) != 1 {
		t.Errorf("the instances that came are not logged, each once: %q", l.matching("."))
	}
	// The baseline leaves (an outage lost its lease; it has not registered
	// again yet): the list keeps it, and takes the next baseline one.
	del(t, cli, "feed", "base")
	for deadline := time.Now().Add(10 * time.Second); len(l.matching("feed lists no baseline instance, only 1 in lanes; keeping the last 2")) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the resolver did not keep its list: log %q, states %v", l.matching("."), cc.States())
		}
	}
	put(t, cli, "feed", "base2", instance.Instance{Addr: "127.0.0.1:3"})
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:1", "127.0.0.1:3"))
	for i, s := range cc.States() {
		if !baseline(s) && i > 0 {
			t.Errorf("state %d of %d has no baseline instance after one with: %v", i, len(cc.States()), s)
		}
	}
}

// bff_registry_reachable falls with every failed check, not only the
// first of a spell: a check fails, a list succeeds (1), and etcd goes
// away again before any check succeeds.
func TestReachableFallsWithEveryFailedCheck(t *testing.T) {
	etcd := etcdtest.Start(t)
	var l logs
	o := newOptions(append(fast(&l), WithMetrics(NewMetrics(prometheus.NewRegistry()))))
	k := &keys{cli: etcd.Client(t), o: o, prefix: "/x/", name: "stat", service: "stat", changed: func(map[string][]byte) {}}
	ctx := context.Background()
	etcd.Stop()
	k.checkRevision(ctx) // lost, gauge 0
	etcd.Restart()
	// The client reconnects with its own backoff: the first lists may
	// still fail.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, err := k.list(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no list 20 s after etcd came back: %v", err)
		}
	}
	g := o.metrics.reachable.WithLabelValues("stat")
	if v := testutil.ToFloat64(g); v != 1 {
		t.Fatalf("etcd back, listed: bff_registry_reachable %v, want 1", v)
	}
	etcd.Stop()
	k.checkRevision(ctx)
	if v := testutil.ToFloat64(g); v != 0 {
		t.Errorf("etcd down, the check failed: bff_registry_reachable %v, want 0", v)
	}
}
