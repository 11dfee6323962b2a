package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A second read within the freshness bound is served from memory; past
// it, the downstream is asked again and its change is served.
func TestFreshEntriesAnswerFromMemoryUntilTheirBound(t *testing.T) {
	c, s := newClock(), &service{}
	l := newLoader(t, s, testOptions(c))
	ctx := context.Background()
	mustGet(t, l, ctx, 1, 2)
	s.set(func(s *service) { s.version = 1 })
	c.advance(9 * time.Second)
	got, res := mustGet(t, l, ctx, 2, 1, 2)
	if s.callCount() != 1 || res.Hits != 2 || got[1] != "/1/0" {
		t.Fatalf("inside the bound: %d calls, %+v, %v; want 1 call, 2 hits, the old value", s.callCount(), res, got)
	}
	c.advance(time.Second)
	got, res = mustGet(t, l, ctx, 1, 2)
	if s.callCount() != 2 || res.Fetched != 2 || got[1] != "/1/1" || got[2] != "/2/1" {
		t.Fatalf("at the bound: %d calls, %+v, %v; want the changed values fetched", s.callCount(), res, got)
	}
	if h, m := count(l, "hit"), count(l, "miss"); h != 2 || m != 4 {
		t.Fatalf("counted %d hits, %d misses; want 2, 4", h, m)
	}
}

// Entries filled in the same instant expire spread over ±Jitter of the
// bound, not all at once.
func TestJitterSpreadsExpiry(t *testing.T) {
	c, s := newClock(), &service{}
	o := testOptions(c)
	o.Jitter = 0.1
	l := newLoader(t, s, o)
	ids := make([]int64, 200)
	for i := range ids {
		ids[i] = int64(i)
	}
	mustGet(t, l, context.Background(), ids...)
	c.advance(o.Fresh)
	_, res := mustGet(t, l, context.Background(), ids...)
	t.Logf("at exactly the bound: %d of 200 expired", res.Fetched)
	if res.Fetched < 20 || res.Fetched > 180 {
		t.Fatalf("%d of 200 expired at the bound, want a spread (jitter ±10%%)", res.Fetched)
	}
	c.advance(o.Fresh + o.Fresh/5) // past 1.1× of either fill
	if _, res = mustGet(t, l, context.Background(), ids...); res.Fetched != 200 {
		t.Fatalf("past 1.1× the bound %d of 200 expired", res.Fetched)
	}
}

// Reads in the last fifth of the freshness window start one background
// refresh, not one per read, and the entry then never misses.
func TestRefreshAheadOnceForHotEntries(t *testing.T) {
	c, s, l := refreshingLoader(t, nil)
	ctx := context.Background()
	mustGet(t, l, ctx, 1, 2)
	c.advance(5 * time.Second)
	for range 20 {
		mustGet(t, l, ctx, 1, 2)
	}
	l.wg.Wait()
	if n := s.callCount(); n != 1 {
		t.Fatalf("mid-window reads made %d calls, want 1", n)
	}
	s.set(func(s *service) { s.version = 1 })
	c.advance(3500 * time.Millisecond) // 8.5 s: in the last 2 s
	for range 50 {
		if _, res := mustGet(t, l, ctx, 1, 2); res.Hits != 2 {
			t.Fatalf("a read during the refresh window missed: %+v", res)
		}
	}
	l.wg.Wait()
	if n := s.callCount(); n != 2 {
		t.Fatalf("50 reads in the refresh window made %d calls in all, want 2 (one refresh)", n)
	}
	c.advance(2500 * time.Millisecond) // 11 s: past the first fill's bound
	got, res := mustGet(t, l, ctx, 1, 2)
	if res.Hits != 2 || got[1] != "/1/1" || s.callCount() != 2 {
		t.Fatalf("after the refresh: %+v %v, %d calls; want refreshed hits", res, got, s.callCount())
	}
}

// A refresh that fails is not retried read after read: the entry keeps
// its claim until it expires, so a failing service is not hammered.
func TestAFailedRefreshIsNotRetriedPerRead(t *testing.T) {
	c, s, l := refreshingLoader(t, nil)
	ctx := context.Background()
	mustGet(t, l, ctx, 1)
	s.set(func(s *service) { s.err = errDown })
	c.advance(9 * time.Second)
	for range 10 {
		mustGet(t, l, ctx, 1)
		l.wg.Wait()
	}
	if n := s.callCount(); n != 2 {
		t.Fatalf("10 reads after a failed refresh made %d calls, want 2", n)
	}
}

// A read with misses and an entry due for refresh calls the downstream once:
// the refresh rides on the call for the misses, whose caller does not wait
// for it any longer than for its own IDs (they are in the same call).
func TestARefreshRidesOnTheReadsOwnCall(t *testing.T) {
	c, s, l := refreshingLoader(t, nil)
	ctx := context.Background()
	mustGet(t, l, ctx, 1)
	s.set(func(s *service) { s.version = 1 })
	c.advance(9 * time.Second) // 1 is in the last fifth of its freshness
	got, res := mustGet(t, l, ctx, 1, 2)
	l.wg.Wait()
	if n := s.callCount(); n != 2 {
		t.Fatalf("a read of a due entry and a miss made %d calls in all, want 2 (the first fill, then one)", n)
	}
	if ids, _ := s.call(1); !slices.Equal(slices.Sorted(slices.Values(ids)), []int64{1, 2}) {
		t.Errorf("the read's call asked for %v, want 1 and 2", ids)
	}
	if got[1] != "/1/0" || got[2] != "/2/1" || res.Hits != 1 || res.Fetched != 1 {
		t.Errorf("read %v, %+v: want 1 from memory and 2 fetched", got, res)
	}
	c.advance(2 * time.Second) // past 1's first bound: the refreshed entry answers
	if got, res := mustGet(t, l, ctx, 1); got[1] != "/1/1" || res.Hits != 1 || s.callCount() != 2 {
		t.Errorf("after the bound: %v, %+v, %d calls; want the refreshed 1 from memory", got, res, s.callCount())
	}
}

// A refresh rides only while the read's call stays within MaxBatch: past
// it the client would split off a call of its own. Left off, the entry is
// claimed again by a later read.
func TestARefreshRidesOnlyWithinTheBatch(t *testing.T) {
	c, s, l := refreshingLoader(t, func(o *Options) { o.MaxBatch = 2 })
	ctx := context.Background()
	mustGet(t, l, ctx, 1)
	c.advance(9 * time.Second)
	mustGet(t, l, ctx, 1, 2, 3)
	l.wg.Wait()
	if ids, _ := s.call(1); s.callCount() != 2 || len(ids) != 2 {
		t.Fatalf("the read's call asked for %v (%d calls): want its two misses alone", ids, s.callCount())
	}
	mustGet(t, l, ctx, 1)
	l.wg.Wait()
	wantLastCall(t, s, 3, 1) // a later read refreshed 1
}

// A read that leaves its call (its deadline, its client gone) may take the
// refreshes riding on it down with it: a later read claims them again.
func TestARiderLeftBehindIsClaimedAgain(t *testing.T) {
	c, s, l := refreshingLoader(t, nil)
	mustGet(t, l, context.Background(), 1)
	c.advance(9 * time.Second)
	gate := make(chan struct{})
	s.set(func(s *service) { s.gate = gate })
	leave := getInBackground(l, 1, 2)
	eventually(t, "the read's call", func() bool { return s.callCount() == 2 })
	leave()
	close(gate)
	l.wg.Wait()
	mustGet(t, l, context.Background(), 1)
	l.wg.Wait()
	wantLastCall(t, s, 3, 1) // a read after the rider's call was cancelled refreshed 1
}

// A due entry whose ID another call is already fetching is left to that
// call, and claimed again by a later read if that call comes to nothing:
// before, it kept its claim, and was never refreshed ahead.
func TestARefreshLeftToACallThatFailsIsClaimedAgain(t *testing.T) {
	c, s, l := refreshingLoader(t, nil)
	gate := make(chan struct{})
	s.set(func(s *service) { s.gate = gate })
	leave := getInBackground(l, 1)
	eventually(t, "the call for 1", func() bool { return s.callCount() == 1 })
	// Another call's answer lands while this one is in flight: the race in
	// which a request claims an ID just after a fill of it.
	l.fill("", []int64{1}, map[int64]string{1: "/1/0"}, l.now())
	c.advance(9 * time.Second)
	if _, res := mustGet(t, l, context.Background(), 1); res.Hits != 1 {
		t.Fatalf("read in the refresh window: %+v, want a hit", res)
	}
	leave() // the only waiter leaves: the call in flight comes to nothing
	close(gate)
	mustGet(t, l, context.Background(), 1)
	l.wg.Wait()
	if n := s.callCount(); n != 2 {
		t.Fatalf("%d calls, want 2: the read after the failed call did not refresh 1", n)
	}
}

// Refreshes are bounded: with every slot busy a due entry starts none,
// and a later read claims it.
func TestRefreshAheadIsBounded(t *testing.T) {
	c, s, l := refreshingLoader(t, func(o *Options) { o.MaxRefreshes = 1 })
	ctx := context.Background()
	mustGet(t, l, ctx, 1)
	mustGet(t, l, ctx, 2)
	gate := make(chan struct{})
	s.set(func(s *service) { s.gate = gate })
	c.advance(9 * time.Second)
	mustGet(t, l, ctx, 1) // takes the only slot, held at the gate
	eventually(t, "the refresh of 1", func() bool { return s.callCount() == 3 })
	mustGet(t, l, ctx, 2) // no slot: no call
	close(gate)
	l.wg.Wait()
	if n := s.callCount(); n != 3 {
		t.Fatalf("%d calls with the slot busy, want 3", n)
	}
	mustGet(t, l, ctx, 2) // the slot is free: 2 is refreshed now
	l.wg.Wait()
	if ids, _ := s.call(s.callCount() - 1); s.callCount() != 4 || ids[0] != 2 {
		t.Fatalf("a later read did not refresh 2: %d calls", s.callCount())
	}
}

// The colored lanes' refreshes have slots of their own: a canary whose
// calls hang, holding every slot it may, does not keep the baseline's due
// entries from being refreshed ahead (they would expire and miss).
func TestColoredRefreshesLeaveTheBaselineItsSlots(t *testing.T) {
	c, s, l := refreshingLoader(t, func(o *Options) { o.MaxRefreshes = 1 })
	ctx := context.Background()
	mustGet(t, l, ctx, 1)
	mustGet(t, l, inLane(ctx, "canary"), 2)
	mustGet(t, l, inLane(ctx, "blue"), 3)
	gate := make(chan struct{})
	s.set(func(s *service) { s.gate = gate })
	c.advance(9 * time.Second)
	mustGet(t, l, inLane(ctx, "canary"), 2) // the colored lanes' one slot, held at the gate
	eventually(t, "the canary's refresh", func() bool { return s.callCount() == 4 })
	mustGet(t, l, inLane(ctx, "blue"), 3) // no colored slot left: no call
	mustGet(t, l, ctx, 1)                 // the baseline's slot is free
	eventually(t, "the baseline's refresh", func() bool { return s.callCount() == 5 })
	close(gate)
	l.wg.Wait()
	if ids, ctx := s.call(4); ids[0] != 1 || laneOf(ctx) != "" {
		t.Fatalf("the fifth call asked for %v in lane %q, want 1 in the baseline", ids, laneOf(ctx))
	}
}

// A call that panics fails its readers, as an error would, and does not
// end the process: it runs on the loader's goroutine, where nothing else
// would recover it. Its stack is logged there, the only place it is.
func TestACallThatPanicsFailsItsReaders(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	o := testOptions(c)
	o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	l, err := New("archive", func(context.Context, []int64) (map[int64]string, error) { panic("decoding went wrong") }, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	if _, _, err := l.Get(context.Background(), []int64{1}); err == nil || !strings.Contains(err.Error(), "decoding went wrong") {
		t.Fatalf("err %v, want the panic's", err)
	}
	var line struct{ Level, Msg, Cache, Panic, Stack string }
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON log line, got %q: %v", logs.String(), err)
	}
	if line.Level != "ERROR" || line.Cache != "archive" || line.Panic != "decoding went wrong" ||
		!strings.Contains(line.Stack, "TestACallThatPanicsFailsItsReaders") {
		t.Fatalf("log line %+v, want an ERROR naming the cache and the panic, with the panicking function in its stack", line)
	}
}

// An absent ID is remembered for Negative, then asked for again.
func TestAbsentIDsAreRememberedBriefly(t *testing.T) {
	c, s := newClock(), &service{absent: map[int64]bool{7: true}}
	l := newLoader(t, s, testOptions(c))
	ctx := context.Background()
	for range 3 {
		if got, _ := mustGet(t, l, ctx, 7); len(got) != 0 {
			t.Fatalf("absent 7 answered %v", got)
		}
	}
	if n := s.callCount(); n != 1 {
		t.Fatalf("3 reads of an absent ID within Negative made %d calls, want 1", n)
	}
	c.advance(time.Second)
	s.set(func(s *service) { s.absent = nil })
	if got, _ := mustGet(t, l, ctx, 7); got[7] != "/7/0" || s.callCount() != 2 {
		t.Fatalf("past Negative: %v after %d calls; want 7 asked again and found", got, s.callCount())
	}
}

// The store holds at most MaxEntries, evicting (and counting) the rest.
func TestBoundedByEntries(t *testing.T) {
	c, s := newClock(), &service{}
	o := testOptions(c)
	o.MaxEntries = 100
	l := newLoader(t, s, o)
	for start := int64(0); start < 5000; start += 50 {
		ids := make([]int64, 50)
		for i := range ids {
			ids[i] = start + int64(i)
		}
		mustGet(t, l, context.Background(), ids...)
	}
	l.store.CleanUp()
	if n := l.store.EstimatedSize(); n > 100 {
		t.Fatalf("%d entries held, bound 100", n)
	}
	if n := count(l, "eviction"); n < 4800 {
		t.Fatalf("%d evictions counted for 5000 IDs through a bound of 100", n)
	}
}

// A fill after an absence with no negative caching must not leave the old
// value to answer later as stale.
func TestWithoutNegativeCachingAnAbsenceDropsTheEntry(t *testing.T) {
	c, s := newClock(), &service{}
	o := testOptions(c)
	o.Negative = 0
	l := newLoader(t, s, o)
	ctx := context.Background()
	mustGet(t, l, ctx, 3)
	c.advance(o.Fresh)
	s.set(func(s *service) { s.absent = map[int64]bool{3: true} })
	mustGet(t, l, ctx, 3)
	mustGet(t, l, ctx, 3)
	if n := s.callCount(); n != 3 {
		t.Fatalf("%d calls, want every read of an absent ID to ask", n)
	}
	s.set(func(s *service) { s.err = errors.New("down") })
	if got, _, err := l.Get(ctx, []int64{3}); err == nil {
		t.Fatalf("the dropped entry answered stale: %v", got)
	}
}

// Off is a plain pass-through: every read calls, nothing is kept, and the
// lane and scenario accessors are not needed.
func TestOffPassesThrough(t *testing.T) {
	s := &service{}
	l, err := New("archive", s.fetch, Options{Off: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for range 3 {
		if got, res := mustGet(t, l, context.Background(), 1, 1, 2); len(got) != 2 || res.Fetched != 2 {
			t.Fatalf("off: %v %+v", got, res)
		}
	}
	if ids, _ := s.call(2); s.callCount() != 3 || len(ids) != 2 {
		t.Fatalf("off: %d calls, last %v; want 3 calls of 2 distinct IDs", s.callCount(), ids)
	}
}

// A loader without the lane or scenario accessor is refused: it would
// answer baseline traffic with a canary's or a scenario's data.
func TestNewRefusesIncompleteOptions(t *testing.T) {
	c, s := newClock(), &service{}
	for name, change := range map[string]func(*Options){
		"no lane":     func(o *Options) { o.Lane = nil },
		"no scenario": func(o *Options) { o.Scenario = nil },
		"no bound":    func(o *Options) { o.MaxEntries = 0 },
		"no fresh":    func(o *Options) { o.Fresh = 0 },
		"two bounds":  func(o *Options) { o.MaxBytes = 1 << 20; o.Size = func(any) int { return 1 } },
		"no size":     func(o *Options) { o.MaxEntries, o.MaxBytes = 0, 1<<20 },
	} {
		o := testOptions(c)
		change(&o)
		if _, err := New("archive", s.fetch, o); err == nil || !strings.Contains(err.Error(), "cache archive") {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

// The series have the names the dashboards use, once registered.
func TestMetricsRegister(t *testing.T) {
	c, s := newClock(), &service{}
	reg := prometheus.NewRegistry()
	o := testOptions(c)
	o.Metrics = NewMetrics(reg)
	l := newLoader(t, s, o)
	mustGet(t, l, context.Background(), 1)
	mustGet(t, l, context.Background(), 1)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	if strings.Join(names, ",") != "bff_cache_evictions_total,bff_cache_requests_total" {
		t.Fatalf("series %v", names)
	}
	if count(l, "hit") != 1 || count(l, "miss") != 1 {
		t.Fatalf("hit %d miss %d, want 1 and 1", count(l, "hit"), count(l, "miss"))
	}
}

// A read whose misses are all in another request's call refreshes its due
// entries on a call of their own. If the read then gives up waiting, that
// refresh keeps its claims: when it fails, later reads do not start it
// again (the promise of TestAFailedRefreshIsNotRetriedPerRead).
func TestARefreshStartedByAReadThatGivesUpKeepsItsClaim(t *testing.T) {
	c, s, l := refreshingLoader(t, nil)
	mustGet(t, l, context.Background(), 1)
	c.advance(9 * time.Second) // 1 is due for a refresh
	gate := make(chan struct{})
	s.set(func(s *service) { s.gate, s.entered, s.err = gate, make(chan []int64, 4), errDown })
	other := getAsync(l, context.Background(), 2)
	receive(t, s.entered, "the other request's call for 2")
	ctx, giveUp := context.WithCancel(context.Background())
	reader := getAsync(l, ctx, 1, 2)
	if ids := receive(t, s.entered, "the refresh of 1"); !slices.Equal(ids, []int64{1}) {
		t.Fatalf("the refresh asked for %v, want [1]", ids)
	}
	giveUp()
	receive(t, reader, "the read that gave up")
	close(gate)
	receive(t, other, "the other request")
	l.wg.Wait()
	for range 5 {
		mustGet(t, l, context.Background(), 1)
		l.wg.Wait()
	}
	if n := s.callCount(); n != 3 {
		t.Fatalf("%d calls, want 3 (the fill, the other request's, one refresh): the failed refresh was started again", n)
	}
}

// A call's answer is as new as the moment the call was made: one that
// lands after an answer to a call made later keeps it, rather than
// putting older news in its place.
func TestALateAnswerDoesNotReplaceANewerOne(t *testing.T) {
	c, s := newClock(), &service{}
	l := newLoader(t, s, testOptions(c))
	gate := make(chan struct{})
	s.set(func(s *service) { s.gate, s.entered = gate, make(chan []int64, 1) })
	slow := getAsync(l, context.Background(), 1)
	receive(t, s.entered, "the slow call")
	c.advance(time.Second)
	// The answer of a call made half a second after the slow one.
	l.fill("", []int64{1}, map[int64]string{1: "/1/newer"}, l.now()-int64(500*time.Millisecond))
	close(gate)
	if r := receive(t, slow, "the slow read"); r.vals[1] != "/1/0" {
		t.Fatalf("the slow read got %v, want its own call's /1/0", r.vals)
	}
	if got, res := mustGet(t, l, context.Background(), 1); got[1] != "/1/newer" || res.Hits != 1 {
		t.Errorf("after the slow call landed: %v %+v, want the newer answer as a hit", got, res)
	}
}
