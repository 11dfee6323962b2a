package cache

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

type got struct {
	vals map[int64]string
	res  Result[int64]
	err  error
}

func getAsync(l *Loader[int64, string], ctx context.Context, ids ...int64) <-chan got {
	ch := make(chan got, 1)
	go func() {
		v, r, err := l.Get(ctx, ids)
		ch <- got{v, r, err}
	}()
	return ch
}

// gated is a service whose calls wait for the returned gate and announce
// themselves on entered.
func gated() (*service, chan struct{}) {
	gate := make(chan struct{})
	return &service{gate: gate, entered: make(chan []int64, 16)}, gate
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// A request needing IDs another request's call is fetching waits for that
// call and asks the downstream only for the rest, at once.
func TestOverlappingRequestsShareTheCallByID(t *testing.T) {
	c := newClock()
	s, gate := gated()
	l := newLoader(t, s, testOptions(c))
	a := getAsync(l, context.Background(), 1, 2, 3)
	if ids := receive(t, s.entered, "A's call"); !slices.Equal(ids, []int64{1, 2, 3}) {
		t.Fatalf("A asked for %v", ids)
	}
	b := getAsync(l, context.Background(), 2, 3, 4, 5)
	if ids := receive(t, s.entered, "B's call"); !slices.Equal(ids, []int64{4, 5}) {
		t.Fatalf("B asked for %v, want only the IDs not in flight [4 5]", ids)
	}
	close(gate)
	ga, gb := receive(t, a, "A"), receive(t, b, "B")
	if ga.err != nil || gb.err != nil || len(ga.vals) != 3 || len(gb.vals) != 4 || gb.vals[2] != "/2/0" {
		t.Fatalf("A %+v, B %+v", ga, gb)
	}
	if gb.res.Shared != 2 || gb.res.Fetched != 2 || s.callCount() != 2 {
		t.Fatalf("B: %+v after %d calls; want 2 shared, 2 fetched, 2 calls", gb.res, s.callCount())
	}
	if count(l, "shared") != 2 || count(l, "miss") != 5 {
		t.Fatalf("counted shared %d miss %d, want 2 and 5", count(l, "shared"), count(l, "miss"))
	}
}

// Cancelling the request that started a shared call fails only that
// request: the call goes on for the others.
func TestCancellingTheFirstCallerDoesNotFailTheSecond(t *testing.T) {
	c := newClock()
	s, gate := gated()
	l := newLoader(t, s, testOptions(c))
	actx, cancelA := context.WithCancel(context.Background())
	a := getAsync(l, actx, 1, 2)
	receive(t, s.entered, "A's call")
	b := getAsync(l, context.Background(), 1, 2)
	eventually(t, "B to join", func() bool { return waiters(l, 1) == 2 })
	cancelA()
	if ga := receive(t, a, "A"); !errors.Is(ga.err, context.Canceled) {
		t.Fatalf("cancelled A: %+v", ga)
	}
	if _, callCtx := s.call(0); callCtx.Err() != nil {
		t.Fatalf("A's cancel reached the shared call: %v", callCtx.Err())
	}
	close(gate)
	if gb := receive(t, b, "B"); gb.err != nil || gb.vals[1] != "/1/0" || gb.res.Shared != 2 {
		t.Fatalf("B after A's cancel: %+v", gb)
	}
	if s.callCount() != 1 {
		t.Fatalf("%d calls, want the one shared call", s.callCount())
	}
}

// Each waiter keeps its own deadline; the shared call keeps the starter's
// values (trace, request id, lane) but not its deadline.
func TestEachWaiterKeepsItsOwnDeadline(t *testing.T) {
	c := newClock()
	s, gate := gated()
	l := newLoader(t, s, testOptions(c))
	b := getAsync(l, context.WithValue(context.Background(), traceKey{}, "trace-b"), 1)
	receive(t, s.entered, "B's call")
	actx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := l.Get(actx, []int64{1}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("A past its deadline: %v", err)
	}
	_, callCtx := s.call(0)
	if callCtx.Err() != nil || callCtx.Value(traceKey{}) != "trace-b" {
		t.Fatalf("shared call: err %v, trace %v; want running, with its starter's values", callCtx.Err(), callCtx.Value(traceKey{}))
	}
	close(gate)
	if gb := receive(t, b, "B"); gb.err != nil || gb.vals[1] != "/1/0" {
		t.Fatalf("B: %+v", gb)
	}
}

// When every waiter has gone the shared call is cancelled, and the next
// request starts a new one.
func TestTheLastWaiterLeavingCancelsTheCall(t *testing.T) {
	c := newClock()
	s, gate := gated()
	l := newLoader(t, s, testOptions(c))
	actx, cancelA := context.WithCancel(context.Background())
	bctx, cancelB := context.WithCancel(context.Background())
	a := getAsync(l, actx, 1)
	receive(t, s.entered, "the call")
	b := getAsync(l, bctx, 1)
	eventually(t, "B to join", func() bool { return waiters(l, 1) == 2 })
	cancelA()
	receive(t, a, "A")
	cancelB()
	receive(t, b, "B")
	_, callCtx := s.call(0)
	select {
	case <-callCtx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("all waiters gone, the shared call still runs")
	}
	if !errors.Is(callCtx.Err(), context.Canceled) {
		t.Fatalf("shared call ended with %v, want cancelled", callCtx.Err())
	}
	close(gate)
	mustGet(t, l, context.Background(), 1)
	if s.callCount() != 2 {
		t.Fatalf("%d calls, want a new call after the abandoned one", s.callCount())
	}
}
