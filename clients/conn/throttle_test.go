package conn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeTime is a clock the test moves by hand.
type fakeTime struct{ t time.Time }

func (f *fakeTime) now() time.Time      { return f.t }
func (f *fakeTime) add(d time.Duration) { f.t = f.t.Add(d) }
func newFakeTime() *fakeTime            { return &fakeTime{t: time.Unix(1_700_000_000, 0)} }
func always(p float64) func() float64   { return func() float64 { return p } }
func testThrottle(s BreakerSettings, clock *fakeTime) *throttle {
	t := newThrottle(s)
	t.now = clock.now
	return t
}

// The refusal ratio is the SRE formula: nothing below MinRequests,
// nothing while accepts ≥ requests/K, then (requests − K·accepts)/(requests+1).
func TestThrottleRatioIsTheSREFormula(t *testing.T) {
	clock := newFakeTime()
	th := testThrottle(BreakerSettings{K: 2, Window: time.Second, MinRequests: 10}, clock)
	for range 9 {
		th.record(failed)
	}
	if p := th.ratio(); p != 0 {
		t.Fatalf("9 failures, below MinRequests: ratio %v, want 0", p)
	}
	for range 9 {
		th.record(accepted)
	}
	// 18 requests, 9 accepted: 18 − 2·9 = 0.
	if p := th.ratio(); p != 0 {
		t.Fatalf("half failing with K=2: ratio %v, want 0", p)
	}
	for range 6 {
		th.record(failed)
	}
	// 24 requests, 9 accepted: (24 − 18)/25.
	if p, want := th.ratio(), 6.0/25; p != want {
		t.Fatalf("ratio %v, want %v", p, want)
	}
	th.chance = always(0.2) // below the ratio: refused, and counted
	if th.allow() {
		t.Fatal("allowed at chance 0.2 < ratio 0.24")
	}
	if th.requests != 25 || th.accepts != 9 {
		t.Fatalf("a refusal must count as a request: %d/%d", th.requests, th.accepts)
	}
	th.chance = always(0.99)
	if !th.allow() {
		t.Fatal("refused at chance 0.99")
	}
}

// Outcomes age out with the window: a second of silence forgets a dead
// spell entirely, and state changes are reported once each.
func TestThrottleForgetsWithTheWindowAndReportsChanges(t *testing.T) {
	clock := newFakeTime()
	th := testThrottle(BreakerSettings{Window: time.Second}, clock)
	var changes []bool
	th.onChange = func(on bool) { changes = append(changes, on) }
	th.chance = always(0.5)
	for range 20 {
		th.record(failed)
	}
	for range 3 {
		th.allow()
	}
	clock.add(500 * time.Millisecond)
	th.chance = always(0.999)
	th.allow()
	if th.requests < 20 {
		t.Fatalf("half a window later %d requests remain, want the 20 failures", th.requests)
	}
	clock.add(600 * time.Millisecond)
	if !th.allow() || th.requests != 0 {
		t.Fatalf("a window later: %d requests remain", th.requests)
	}
	if len(changes) != 2 || !changes[0] || changes[1] {
		t.Fatalf("changes %v, want [throttling closed]", changes)
	}
}

// The ratio a watcher is told last is the newest: a call that computed
// its ratio before the service recovered must not publish it after a
// later call has published the recovery (the gauge would keep the old
// ratio for as long as the service is not called). The first report
// pauses, as a goroutine preempted there would; the pause is bounded, so
// that a throttle reporting under its lock holds the others back instead.
func TestTheRatioReportedLastIsTheNewest(t *testing.T) {
	clock := newFakeTime()
	th := testThrottle(BreakerSettings{K: 2, Window: time.Second, MinRequests: 10}, clock)
	var mu sync.Mutex
	var last float64
	paused := make(chan struct{})
	first := true
	th.onRatio = func(p float64) {
		mu.Lock()
		pause := first
		first = false
		mu.Unlock()
		if pause {
			close(paused)
			time.Sleep(100 * time.Millisecond)
		}
		mu.Lock()
		last = p
		mu.Unlock()
	}
	for range 20 {
		th.record(failed)
	}
	th.chance = always(0.99) // let the first call through, whatever its ratio
	done := make(chan struct{})
	go func() { th.allow(); close(done) }()
	<-paused
	for range 200 {
		th.record(accepted) // the service recovers
	}
	th.allow()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if last != 0 {
		t.Fatalf("the service recovered and was called: last reported ratio %v, want 0", last)
	}
}

// A dead service is cut off to a trickle (MaxRefusal), and once it answers
// again the trickle's successes reopen it within a few windows.
func TestThrottleCutsOffADeadServiceAndFindsItAgain(t *testing.T) {
	clock := newFakeTime()
	th := testThrottle(BreakerSettings{}, clock) // K=2, 1s, 10
	th.chance = rand.New(rand.NewPCG(1, 2)).Float64
	step := func(healthy bool) (sent int) {
		for range 100 { // 100 calls per second, 10 ms apart
			clock.add(10 * time.Millisecond)
			if th.allow() {
				sent++
				if healthy {
					th.record(accepted)
				} else {
					th.record(failed)
				}
			}
		}
		return sent
	}
	step(false)
	var deadSent int
	for range 5 {
		deadSent += step(false)
	}
	if deadSent > 500/10 {
		t.Errorf("a dead service got %d of 500 calls in 5 s, want a trickle", deadSent)
	}
	var seconds int
	for seconds = 1; seconds <= 10; seconds++ {
		sent := step(true)
		t.Logf("second %d of health: %d sent", seconds, sent)
		if sent == 100 {
			break
		}
	}
	if seconds > 4 {
		t.Errorf("took %d s of success to send every call again", seconds)
	}
	t.Logf("dead: %d of 500 calls sent; recovered in %d s", deadSent, seconds)
}

func invokeErr(err error) grpc.UnaryInvoker {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		return err
	}
}

// failFast makes the throttle refuse as soon as its ratio is positive.
func failFast(c *caller) *caller {
	c.throttle.chance = always(0)
	return c
}

// Answers, even errors about the request, and cancellations never throttle;
// service faults do.
func TestThrottleCountsServiceFaultsOnly(t *testing.T) {
	c := failFast(&caller{service: "stat", throttle: newThrottle(BreakerSettings{MinRequests: 4})})
	call := func(err error) error {
		return c.intercept(context.Background(), "/stat.v1.StatService/BatchGetStats", nil, nil, nil, invokeErr(err))
	}
	for range 10 {
		call(status.Error(codes.InvalidArgument, "bad"))
		call(status.Error(codes.NotFound, "gone"))
		call(status.Error(codes.Canceled, "gone"))
	}
	if err := call(nil); err != nil {
		t.Fatalf("refused after answers only: %v", err)
	}
	for range 50 {
		call(status.Error(codes.Unavailable, ""))
	}
	if err := call(nil); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("after 50 service faults: %v, want ErrCircuitOpen", err)
	}
}

// hang waits for the call's deadline, then fails as grpc would.
func hang(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
	<-ctx.Done()
	return status.FromContextError(ctx.Err()).Err()
}

// A call cut short by its caller's deadline (the scene's budget, used up by
// earlier steps) is no evidence against the service; the call's own timeout
// is, unless the BFF was starved.
func TestThrottleBlamesTheServiceOnlyForItsOwnTimeouts(t *testing.T) {
	var starved bool
	c := failFast(&caller{service: "archive", throttle: newThrottle(BreakerSettings{MinRequests: 2}), timeout: time.Second, starved: func() bool { return starved }, slack: time.Hour})
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
		c.intercept(ctx, "/m", nil, nil, nil, hang)
		cancel()
	}
	// The service's copy of the caller's deadline fired first: its
	// DeadlineExceeded arrives while the caller's context is still live.
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond) // below the 1 s per-call timeout
		c.intercept(ctx, "/m", nil, nil, nil, invokeErr(status.Error(codes.DeadlineExceeded, "the service's copy of the deadline")))
		cancel()
	}
	if err := c.intercept(context.Background(), "/m", nil, nil, nil, invokeErr(nil)); err != nil {
		t.Fatalf("the caller's deadlines throttled the service: %v", err)
	}
	c.timeout = 2 * time.Millisecond
	starved = true
	for range 5 {
		c.intercept(context.Background(), "/m", nil, nil, nil, hang)
	}
	if c.throttle.requests != 1 {
		t.Fatalf("timeouts while starved were counted: %d requests", c.throttle.requests)
	}
	starved = false
	for range 5 {
		c.intercept(context.Background(), "/m", nil, nil, nil, hang)
	}
	if err := c.intercept(context.Background(), "/m", nil, nil, nil, invokeErr(nil)); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("five per-call timeouts of a healthy process did not throttle: %v", err)
	}
}

// A budget the caller sets with WithTimeout is the call's own timeout when
// shorter: a call that outlives it is the service's failure, and counts.
// A longer one, or none, leaves the usual timeout.
func TestACallersBudgetIsTheCallsOwnTimeout(t *testing.T) {
	for _, tc := range []struct {
		own, budget, want time.Duration
	}{{time.Second, 300 * time.Millisecond, 300 * time.Millisecond}, {time.Second, 2 * time.Second, time.Second}, {0, time.Second, time.Second}, {time.Second, 0, time.Second}, {time.Second, -time.Second, time.Second}} {
		if got := timeout(WithTimeout(context.Background(), tc.budget), tc.own); got != tc.want {
			t.Errorf("own %v, budget %v: %v, want %v", tc.own, tc.budget, got, tc.want)
		}
	}
	c := failFast(&caller{service: "feed", throttle: newThrottle(BreakerSettings{MinRequests: 2}), timeout: time.Minute, slack: time.Hour})
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		c.intercept(WithTimeout(ctx, 2*time.Millisecond), "/m", nil, nil, nil, hang)
		cancel()
	}
	if err := c.intercept(context.Background(), "/m", nil, nil, nil, invokeErr(nil)); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("five calls past their budget did not throttle: %v", err)
	}
}

// The call's own timeout fired first, and by the time the outcome is read
// the caller's later deadline has passed too (a busy process, or a shared
// cache call's backstop): the timeout is still the service's.
func TestOwnTimeoutIsBlamedAfterTheCallersDeadlinePassed(t *testing.T) {
	c := &caller{service: "stat", throttle: newThrottle(BreakerSettings{})}
	now := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(-time.Millisecond))
	defer cancel()
	callCtx, cancelCall := context.WithDeadline(ctx, now.Add(-2*time.Millisecond))
	defer cancelCall()
	if o := c.blame(ctx, callCtx, status.Error(codes.DeadlineExceeded, "timed out")); o != failed {
		t.Errorf("outcome %d, want failed (%d): the call's own deadline came first", o, failed)
	}
	// The same timeout under the caller's earlier deadline is the caller's.
	callCtx, cancelCall = context.WithDeadline(context.Background(), now.Add(time.Millisecond))
	defer cancelCall()
	if o := c.blame(ctx, callCtx, status.Error(codes.DeadlineExceeded, "timed out")); o != callerDone {
		t.Errorf("outcome %d, want callerDone (%d): the caller's deadline came first", o, callerDone)
	}
}

// A goroutine that notices its own timeout long after it fired was starved:
// the timeout is not the service's fault.
func TestLateTimeoutIsNotBlamed(t *testing.T) {
	c := &caller{service: "archive", throttle: newThrottle(BreakerSettings{}), timeout: time.Millisecond}
	late := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		<-ctx.Done()
		time.Sleep(3 * lateSlack) // as if the goroutine sat in the run queue
		return status.FromContextError(ctx.Err()).Err()
	}
	c.intercept(context.Background(), "/m", nil, nil, nil, late)
	if c.throttle.requests != 0 {
		t.Fatalf("%d outcomes counted for a timeout noticed %v late, want none", c.throttle.requests, 3*lateSlack)
	}
	// A prompt timeout is counted. This goroutine may itself sit in a busy
	// machine's run queue past lateSlack, which would rightly excuse it, so
	// it gets a few tries; one counted is enough.
	for try := 0; try < 5 && c.throttle.requests == 0; try++ {
		c.intercept(context.Background(), "/m", nil, nil, nil, hang)
	}
	if c.throttle.requests != 1 {
		t.Fatalf("%d outcomes counted, want the one prompt timeout", c.throttle.requests)
	}
}

// Calls with a mock scenario neither feed the throttle nor are refused by it.
func TestScenarioCallsBypassTheThrottle(t *testing.T) {
	c := failFast(&caller{service: "stat", throttle: newThrottle(BreakerSettings{MinRequests: 2}), forwardScenario: true})
	scn := WithScenario(context.Background(), "stat=unavailable")
	unavailable := invokeErr(status.Error(codes.Unavailable, "scenario"))
	for range 50 {
		c.intercept(scn, "/m", nil, nil, nil, unavailable)
	}
	if c.throttle.requests != 0 {
		t.Fatalf("scenario calls fed the throttle: %d", c.throttle.requests)
	}
	for range 10 {
		c.intercept(context.Background(), "/m", nil, nil, nil, unavailable)
	}
	if err := c.intercept(context.Background(), "/m", nil, nil, nil, invokeErr(nil)); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("plain calls: %v, want refused", err)
	}
	if err := c.intercept(scn, "/m", nil, nil, nil, invokeErr(nil)); err != nil {
		t.Fatalf("a scenario call was refused by the shared throttle: %v", err)
	}
	// In real mode the scenario is not forwarded, so the call is an
	// ordinary one and the throttle applies.
	c.forwardScenario = false
	if err := c.intercept(scn, "/m", nil, nil, nil, invokeErr(nil)); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("real mode: %v, want refused", err)
	}
}

// The throttle counts against the service what the balancer counts against
// an instance (contract.ServerFault), plus a call timing out; an answer
// about the request, or the caller's own cancel, is not its fault.
func TestServiceFault(t *testing.T) {
	for code, want := range map[codes.Code]bool{
		codes.Unavailable: true, codes.Internal: true, codes.Unknown: true, codes.ResourceExhausted: true,
		codes.DataLoss: true, codes.Aborted: true, codes.Unimplemented: true, codes.DeadlineExceeded: true,
		codes.NotFound: false, codes.InvalidArgument: false, codes.PermissionDenied: false, codes.Canceled: false,
	} {
		if got := serviceFault(status.Error(code, "")); got != want {
			t.Errorf("serviceFault(%v) = %v, want %v", code, got, want)
		}
	}
}

// Each lane is throttled on its own: a canary whose instances fail every
// call does not get the baseline's calls refused, and the canary's own
// calls are refused, as a failing service's are.
func TestALaneFailsOnItsOwn(t *testing.T) {
	c := failFast(&caller{service: "stat", throttle: newThrottle(BreakerSettings{})})
	canary := WithColor(context.Background(), "canary")
	down := status.Error(codes.Unavailable, "canary down")
	for range 50 {
		c.intercept(context.Background(), statMethod, nil, nil, nil, invoke(nil))
		c.intercept(canary, statMethod, nil, nil, nil, invoke(down))
		c.intercept(canary, statMethod, nil, nil, nil, invoke(down))
	}
	var baselineRefused, canaryRefused int
	for range 50 {
		if err := c.intercept(context.Background(), statMethod, nil, nil, nil, invoke(nil)); errors.Is(err, ErrCircuitOpen) {
			baselineRefused++
		}
		if err := c.intercept(canary, statMethod, nil, nil, nil, invoke(down)); errors.Is(err, ErrCircuitOpen) {
			canaryRefused++
		}
	}
	if baselineRefused != 0 || canaryRefused == 0 {
		t.Errorf("refused %d baseline calls and %d canary calls of 50; want none and some", baselineRefused, canaryRefused)
	}
}

// Colors come from clients: past maxLanes lanes in use, they share one
// throttle rather than each getting one.
func TestLanesAreBounded(t *testing.T) {
	var l lanes
	first := l.of("c0")
	for i := range 3 * maxLanes {
		l.of(fmt.Sprintf("c%d", i)).allow() // a call under way in each
	}
	if len(l.m) != maxLanes || l.of("c0") != first || l.of("another") != l.of("yet-another") {
		t.Errorf("%d lanes kept, want %d, each its own throttle, the rest one", len(l.m), maxLanes)
	}
}

// A lane whose outcomes have all aged out gives its slot to the next
// color; one with a call under way or an outcome in its window keeps it.
func TestAQuietLaneGivesUpItsSlot(t *testing.T) {
	clock := newFakeTime()
	l := lanes{settings: BreakerSettings{Window: time.Second}, now: clock.now}
	call := func(color string, o outcome) *throttle {
		th := l.of(color)
		th.allow()
		th.record(o)
		return th
	}
	for i := range maxLanes {
		call(fmt.Sprintf("c%d", i), failed)
	}
	if late := l.of("late"); late != l.rest {
		t.Fatal("a 33rd color got a lane while every lane had an outcome in its window")
	}
	hanging := l.of("c1")
	hanging.allow() // and never ends
	clock.add(2 * time.Second)
	recent := call("c2", accepted)
	late := l.of("late")
	if late == l.rest {
		t.Fatal("a color found no lane free after the others' outcomes aged out")
	}
	if l.of("c1") != hanging || l.of("c2") != recent || l.of("late") != late {
		t.Error("a lane with a call under way or a recent outcome lost its throttle")
	}
	if len(l.m) != 3 {
		t.Errorf("%d lanes kept, want the 3 in use", len(l.m))
	}
}

// A call's time in flight ends however the call does: refused, or with
// the invoker panicking (the scene step's guard recovers it). A count
// left up would keep its lane from ever falling quiet.
func TestACallInFlightEndsHoweverItEnds(t *testing.T) {
	c := &caller{service: "stat", throttle: newThrottle(BreakerSettings{})}
	canary := WithColor(context.Background(), "canary")
	func() {
		defer func() { _ = recover() }()
		c.intercept(canary, statMethod, nil, nil, nil, func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error {
			panic("a codec's bug")
		})
	}()
	th := c.lanes.of("canary")
	th.chance = always(1) // no refusal while it learns
	for range 20 {
		th.allow()
		th.record(failed)
	}
	th.chance = always(0) // every call refused once the ratio is up
	if th.allow() {
		t.Fatal("a throttle of 20 failures allowed a call at chance 0")
	}
	if th.inflight != 0 {
		t.Errorf("%d calls in flight after a panicking call and a refused one, want 0", th.inflight)
	}
}

// Quiet lanes are swept at most once a bucket: a client sending a new
// color on every call must not have each of them age all 32 throttles. A
// lane that falls quiet just after a sweep is given up at the next one.
func TestQuietLanesAreSweptAtMostOnceABucket(t *testing.T) {
	clock := newFakeTime()
	l := lanes{settings: BreakerSettings{Window: time.Second}, now: clock.now}
	for i := range maxLanes - 1 {
		th := l.of(fmt.Sprintf("c%d", i))
		th.allow()
		th.record(failed)
	}
	last := l.of("last")
	last.allow() // under way: not quiet
	if l.of("a") != l.rest {
		t.Fatal("a color got a lane while every lane was in use")
	}
	last.record(callerDone) // quiet now, just after the sweep
	if l.of("b") != l.rest {
		t.Error("a second sweep ran in the same bucket")
	}
	clock.add(time.Second / buckets)
	if l.of("c") == l.rest {
		t.Error("the lane that fell quiet was not given up a bucket later")
	}
}
