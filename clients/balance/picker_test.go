package balance

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"

	"mosaic/clients/contract"
	"mosaic/clients/instance"
)

// countingPicker stands for an instance's pick_first picker and counts how
// often the lanes picker chose it.
type countingPicker struct{ n atomic.Int64 }

func (c *countingPicker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	c.n.Add(1)
	return balancer.PickResult{}, nil
}

type fleet struct {
	children []child
	pickers  map[string]*countingPicker
}

// add adds an instance named name; names are only for the test's counts.
func (f *fleet) add(name string, in instance.Instance, state connectivity.State) *load {
	if f.pickers == nil {
		f.pickers = map[string]*countingPicker{}
	}
	cp := &countingPicker{}
	f.pickers[name] = cp
	l := newLoad(testTuning.unmeasured, 0)
	f.children = append(f.children, child{inst: in, state: state, picker: cp, load: l})
	return l
}

func (f *fleet) picker(cluster string) (*picker, connectivity.State) {
	return newPicker(f.children, cluster, testTuning, func() int64 { return 0 })
}

func colored(color string) balancer.PickInfo {
	ctx := context.Background()
	if color != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, contract.ColorKey, color)
	}
	return balancer.PickInfo{FullMethodName: "/m", Ctx: ctx}
}

// pickN picks n times, finishing each call at once, and returns the counts
// per instance name.
func pickN(t *testing.T, p *picker, f *fleet, color string, n int) map[string]int {
	t.Helper()
	for _, cp := range f.pickers {
		cp.n.Store(0)
	}
	for range n {
		res, err := p.Pick(colored(color))
		if err != nil {
			t.Fatalf("pick for color %q: %v", color, err)
		}
		res.Done(balancer.DoneInfo{BytesSent: true})
	}
	got := map[string]int{}
	for name, cp := range f.pickers {
		if n := cp.n.Load(); n > 0 {
			got[name] = int(n)
		}
	}
	return got
}

func only(t *testing.T, what string, got map[string]int, names ...string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, n := range names {
		allowed[n] = true
	}
	for name := range got {
		if !allowed[name] {
			t.Errorf("%s reached %s (counts %v), want only %v", what, name, got, names)
		}
	}
	if len(got) == 0 {
		t.Errorf("%s reached nobody", what)
	}
}

func TestLanesChooseThePool(t *testing.T) {
	var f fleet
	f.add("base1", instance.Instance{}, connectivity.Ready)
	f.add("base2", instance.Instance{}, connectivity.Ready)
	f.add("canary", instance.Instance{Color: "canary"}, connectivity.Ready)
	f.add("blue-down", instance.Instance{Color: "blue"}, connectivity.TransientFailure)
	p, state := f.picker("")
	if state != connectivity.Ready {
		t.Errorf("state %v, want READY", state)
	}
	only(t, "canary traffic", pickN(t, p, &f, "canary", 50), "canary")
	only(t, "uncolored traffic", pickN(t, p, &f, "", 50), "base1", "base2")
	only(t, "an unknown color", pickN(t, p, &f, "green", 50), "base1", "base2")
	only(t, "a color whose instances are all down", pickN(t, p, &f, "blue", 50), "base1", "base2")
}

func TestClusterPreferredWithinTheLane(t *testing.T) {
	var f fleet
	f.add("c1-down", instance.Instance{Cluster: "c1"}, connectivity.TransientFailure)
	f.add("c1", instance.Instance{Cluster: "c1"}, connectivity.Ready)
	f.add("c2", instance.Instance{Cluster: "c2"}, connectivity.Ready)
	f.add("canary-c2", instance.Instance{Color: "canary", Cluster: "c2"}, connectivity.Ready)
	p, _ := f.picker("c1")
	only(t, "c1's uncolored traffic", pickN(t, p, &f, "", 30), "c1")
	// The lane comes first: c1 has no canary, so canary traffic crosses.
	only(t, "c1's canary traffic", pickN(t, p, &f, "canary", 30), "canary-c2")
	// c1 has nothing ready: fail over; c1 back: return.
	f.children[1].state = connectivity.Connecting
	p, _ = f.picker("c1")
	only(t, "c1's traffic with c1 down", pickN(t, p, &f, "", 30), "c2")
	f.children[1].state = connectivity.Ready
	p, _ = f.picker("c1")
	only(t, "c1's traffic with c1 back", pickN(t, p, &f, "", 30), "c1")

	// No cluster of its own: every cluster is as good.
	var g fleet
	g.add("c1", instance.Instance{Cluster: "c1"}, connectivity.Ready)
	g.add("c2", instance.Instance{Cluster: "c2"}, connectivity.Ready)
	p, _ = g.picker("")
	var pending []func(balancer.DoneInfo)
	for range 20 {
		res, err := p.Pick(colored(""))
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, res.Done)
	}
	if a, b := g.children[0].load.inflight.Load(), g.children[1].load.inflight.Load(); a != 10 || b != 10 {
		t.Errorf("a BFF of no cluster: %d and %d in flight, want 10 and 10", a, b)
	}
	for _, done := range pending {
		done(balancer.DoneInfo{BytesSent: true})
	}
}

func TestAnEmptyPoolWaitsOnlyForInstancesThatCouldServeIt(t *testing.T) {
	var f fleet
	f.add("base", instance.Instance{}, connectivity.TransientFailure)
	f.add("canary", instance.Instance{Color: "canary"}, connectivity.Connecting)
	p, state := f.picker("")
	if state != connectivity.Connecting {
		t.Errorf("state %v, want CONNECTING", state)
	}
	if _, err := p.Pick(colored("canary")); err != balancer.ErrNoSubConnAvailable {
		t.Errorf("canary call while the canary connects: %v, want to wait (ErrNoSubConnAvailable)", err)
	}
	// Uncolored traffic can never go to the canary: waiting for it is
	// pointless, the baseline is down, so the call fails now.
	_, err := p.Pick(colored(""))
	if err == nil || errors.Is(err, balancer.ErrNoSubConnAvailable) {
		t.Errorf("uncolored call with the baseline down: %v, want a failure", err)
	}
	f.children[1].state = connectivity.TransientFailure
	p, state = f.picker("")
	if state != connectivity.TransientFailure {
		t.Errorf("state %v, want TRANSIENT_FAILURE", state)
	}
	if _, err := p.Pick(colored("canary")); err == nil || errors.Is(err, balancer.ErrNoSubConnAvailable) {
		t.Errorf("canary call with everything down: %v, want a failure", err)
	}
	f.children[0].state = connectivity.Idle
	p, _ = f.picker("")
	if _, err := p.Pick(colored("canary")); err != balancer.ErrNoSubConnAvailable {
		t.Errorf("canary call while the baseline reconnects: %v, want to wait", err)
	}
}

// With only a canary up and serving, uncolored traffic still never goes to
// it (a canary's answers never reach the baseline): the call fails, and a
// call in another lane with no instance of its own falls back to the
// baseline only, never to some other lane.
func TestOnlyALaneUpTakesNoOtherTraffic(t *testing.T) {
	var f fleet
	f.add("canary", instance.Instance{Color: "canary"}, connectivity.Ready)
	p, _ := f.picker("")
	if _, err := p.Pick(colored("canary")); err != nil {
		t.Fatalf("canary call: %v", err)
	}
	for _, color := range []string{"", "blue"} {
		if res, err := p.Pick(colored(color)); err == nil {
			res.Done(balancer.DoneInfo{})
			t.Errorf("a call colored %q went to the canary", color)
		}
	}
}

func TestPowerOfTwoChoicesAvoidsTheCostly(t *testing.T) {
	var f fleet
	slow := f.add("slow", instance.Instance{}, connectivity.Ready)
	fast1 := f.add("fast1", instance.Instance{}, connectivity.Ready)
	fast2 := f.add("fast2", instance.Instance{}, connectivity.Ready)
	slow.observe(200*ms, 0, testTuning.decay)
	fast1.observe(2*ms, 0, testTuning.decay)
	fast2.observe(2*ms, 0, testTuning.decay)
	p, _ := f.picker("")
	// Of any two distinct instances one is fast: the slow one never wins.
	got := pickN(t, p, &f, "", 300)
	if got["slow"] != 0 || got["fast1"] == 0 || got["fast2"] == 0 {
		t.Errorf("counts %v: want the slow instance never picked and both fast ones used", got)
	}
	// Calls in flight count: a fast instance with 200 calls waiting costs
	// more than the slow one idle, which now wins whenever it is one of the
	// two drawn: two picks in three.
	fast1.inflight.Add(200)
	fast2.inflight.Add(200)
	if got := pickN(t, p, &f, "", 300); got["slow"] < 150 || got["slow"] > 250 {
		t.Errorf("with the fast instances swamped: %v, want about 200 of 300 to the slow one", got)
	}
}

func TestWeightScalesTheCost(t *testing.T) {
	var f fleet
	big := f.add("big", instance.Instance{Weight: 4}, connectivity.Ready)
	small := f.add("small", instance.Instance{}, connectivity.Ready)
	big.observe(10*ms, 0, testTuning.decay)
	small.observe(10*ms, 0, testTuning.decay)
	p, _ := f.picker("")
	// Equal latency, weight 4 against 1: the big one takes calls until it
	// holds 4 in flight for every one of the small one (cost ∝ (n+1)/w).
	var pending []func(balancer.DoneInfo)
	for range 50 {
		res, err := p.Pick(colored(""))
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, res.Done)
	}
	if b, s := big.inflight.Load(), small.inflight.Load(); b < 3*s || b+s != 50 {
		t.Errorf("in flight big %d small %d, want about 4:1", b, s)
	}
	for _, done := range pending {
		done(balancer.DoneInfo{BytesSent: true})
	}
	if b, s := big.inflight.Load(), small.inflight.Load(); b != 0 || s != 0 {
		t.Errorf("after Done: %d and %d in flight", b, s)
	}
}

// The hot path allocates only the Done closure for an uncolored call, and
// the color's one-element slice besides for a colored one.
func TestPickAllocations(t *testing.T) {
	var f fleet
	f.add("a", instance.Instance{}, connectivity.Ready)
	f.add("b", instance.Instance{}, connectivity.Ready)
	f.add("c", instance.Instance{Color: "canary"}, connectivity.Ready)
	p, _ := f.picker("")
	for _, tc := range []struct {
		color string
		max   float64
	}{{"", 1}, {"canary", 2}} {
		info := colored(tc.color)
		allocs := testing.AllocsPerRun(1000, func() {
			res, _ := p.Pick(info)
			res.Done(balancer.DoneInfo{BytesSent: true})
		})
		if allocs > tc.max {
			t.Errorf("color %q: %v allocations per pick, want at most %v", tc.color, allocs, tc.max)
		}
	}
}

func BenchmarkPick(b *testing.B) {
	var f fleet
	for _, n := range []string{"a", "b", "c", "d"} {
		f.add(n, instance.Instance{}, connectivity.Ready)
	}
	p, _ := newPicker(f.children, "", testTuning, func() int64 { return 0 })
	info := colored("")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, _ := p.Pick(info)
			res.Done(balancer.DoneInfo{BytesSent: true})
		}
	})
}

func TestANewInstanceIsPresumedAsFastAsItsPeer(t *testing.T) {
	var f fleet
	old := f.add("old", instance.Instance{}, connectivity.Ready)
	fresh := f.add("new", instance.Instance{}, connectivity.Ready)
	old.observe(1*ms, 0, testTuning.decay)
	p, _ := f.picker("")
	// Against its measured peer the new instance (prior 30 ms) counts as
	// 1 ms: the two share the calls by their in-flight counts alone.
	var pending []func(balancer.DoneInfo)
	for range 20 {
		res, err := p.Pick(colored(""))
		if err != nil {
			t.Fatal(err)
		}
		pending = append(pending, res.Done)
	}
	if o, n := old.inflight.Load(), fresh.inflight.Load(); o != 10 || n != 10 {
		t.Errorf("in flight old %d new %d, want 10 and 10", o, n)
	}
	for _, done := range pending {
		done(balancer.DoneInfo{BytesSent: true})
	}
	// Its first answer replaces the guess, here with a slow one.
	fresh.observe(40*ms, 0, testTuning.decay)
	if got := pickN(t, p, &f, "", 50); got["new"] != 0 {
		t.Errorf("after a 40ms first answer against 1ms: %v, want none to the new instance", got)
	}
	// A cut call raises the estimate only when it took longer, and then
	// counts as a measurement.
	other := newLoad(testTuning.unmeasured, 0)
	other.atLeast(5*ms, 0, testTuning.decay)
	if other.measured.Load() {
		t.Error("a cut call under the prior counted as a measurement")
	}
	other.atLeast(80*ms, 0, testTuning.decay)
	if !other.measured.Load() || !near(estimate(other), float64(80*ms)) {
		t.Errorf("a cut call of 80ms: estimate %v, measured %v", time.Duration(estimate(other)), other.measured.Load())
	}
}
