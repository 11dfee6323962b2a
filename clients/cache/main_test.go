package cache

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

// Context markers standing in for conn's color and scenario.
type laneKey struct{}
type scenarioKey struct{}
type traceKey struct{}

func laneOf(ctx context.Context) string     { s, _ := ctx.Value(laneKey{}).(string); return s }
func scenarioOf(ctx context.Context) string { s, _ := ctx.Value(scenarioKey{}).(string); return s }

func inLane(ctx context.Context, lane string) context.Context {
	return context.WithValue(ctx, laneKey{}, lane)
}

// clock is a time the test moves by hand.
type clock struct{ ns atomic.Int64 }

func newClock() *clock                   { c := &clock{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// service is the downstream: its answer for id in lane L at version v is
// "L/id/v". Calls may be held at a gate, fail, or miss IDs.
type service struct {
	mu      sync.Mutex
	calls   [][]int64
	ctxs    []context.Context
	version int
	err     error
	absent  map[int64]bool
	gate    chan struct{} // when set, calls wait for it to close (or their ctx)
	entered chan []int64  // when set, each call's IDs are sent on arrival
}

func (s *service) fetch(ctx context.Context, ids []int64) (map[int64]string, error) {
	s.mu.Lock()
	s.calls = append(s.calls, slices.Clone(ids))
	s.ctxs = append(s.ctxs, ctx)
	gate, entered := s.gate, s.entered
	s.mu.Unlock()
	if entered != nil {
		entered <- slices.Clone(ids)
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	out := make(map[int64]string, len(ids))
	for _, id := range ids {
		if !s.absent[id] {
			out[id] = fmt.Sprintf("%s/%d/%d", laneOf(ctx), id, s.version)
		}
	}
	return out, nil
}

func (s *service) set(f func(*service)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *service) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

func (s *service) call(i int) ([]int64, context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[i], s.ctxs[i]
}

// testOptions: 10 s fresh, 5 min stale, 1 s negative, no jitter and no
// refresh ahead unless a test turns them on.
func testOptions(c *clock) Options {
	return Options{
		MaxEntries: 1000, Fresh: 10 * time.Second, Stale: 5 * time.Minute, Negative: time.Second,
		Jitter: -1, RefreshAhead: -1,
		Lane: laneOf, Scenario: scenarioOf, Now: c.Now,
	}
}

func newLoader(t testing.TB, s *service, o Options) *Loader[int64, string] {
	t.Helper()
	l, err := New("archive", s.fetch, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

func mustGet(t testing.TB, l *Loader[int64, string], ctx context.Context, ids ...int64) (map[int64]string, Result[int64]) {
	t.Helper()
	got, res, err := l.Get(ctx, ids)
	if err != nil {
		t.Fatalf("Get(%v): %v", ids, err)
	}
	return got, res
}

// count is the loader's requests counter for result, or its evictions.
func count(l *Loader[int64, string], result string) int {
	m := l.m
	c := map[string]prometheus.Counter{
		"hit": m.hit, "miss": m.miss, "shared": m.shared, "stale": m.stale,
		"error": m.failed, "bypass": m.bypass, "eviction": m.evicted,
	}[result]
	return int(testutil.ToFloat64(c))
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waiters is how many requests wait on the call fetching id (baseline).
func waiters(l *Loader[int64, string], id int64) int {
	l.flights.mu.Lock()
	defer l.flights.mu.Unlock()
	if f, ok := l.flights.m[key[int64]{"", id}]; ok {
		return f.waiters
	}
	return 0
}

// getInBackground reads ids on a goroutine of its own, with a context of
// its own; leave cancels that context and waits for the read to return.
func getInBackground(l *Loader[int64, string], ids ...int64) (leave func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = l.Get(ctx, ids)
	}()
	return func() {
		cancel()
		<-done
	}
}

// refreshingLoader is a loader over a fresh service that refreshes entries
// read in the last fifth of their freshness; adjust, if not nil, changes
// its options further.
func refreshingLoader(t *testing.T, adjust func(*Options)) (*clock, *service, *Loader[int64, string]) {
	t.Helper()
	c, s := newClock(), &service{}
	o := testOptions(c)
	o.RefreshAhead = 0.2
	if adjust != nil {
		adjust(&o)
	}
	return c, s, newLoader(t, s, o)
}

// wantLastCall fails t unless s has had calls calls, the last for ids.
func wantLastCall(t *testing.T, s *service, calls int, ids ...int64) {
	t.Helper()
	if n := s.callCount(); n != calls {
		t.Fatalf("%d calls, want %d", n, calls)
	}
	if got, _ := s.call(calls - 1); !slices.Equal(got, ids) {
		t.Fatalf("the last call asked for %v, want %v", got, ids)
	}
}
