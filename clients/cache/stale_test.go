package cache

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mosaic/clients/freshness"
)

var errDown = errors.New("unavailable")

// Past freshness but within the stale bound, entries answer when the call
// fails, and say so; past the stale bound the error is returned.
func TestStaleBeatsNothingWithinTheBound(t *testing.T) {
	c, s := newClock(), &service{absent: map[int64]bool{3: true}}
	l := newLoader(t, s, testOptions(c))
	ctx := context.Background()
	mustGet(t, l, ctx, 1, 2, 3)
	fctx, fresh := freshness.Watch(ctx)
	mustGet(t, l, fctx, 1, 2, 3)
	if fresh.Stale() {
		t.Fatal("a fresh read marked its step stale")
	}
	c.advance(time.Minute)
	s.set(func(s *service) { s.err = errDown })
	sctx, mark := freshness.Watch(ctx)
	got, res := mustGet(t, l, sctx, 1, 2, 3)
	if !mark.Stale() {
		t.Fatal("a stale answer did not mark the step's context")
	}
	slices.Sort(res.Stale)
	if len(got) != 2 || got[1] != "/1/0" || !slices.Equal(res.Stale, []int64{1, 2, 3}) {
		t.Fatalf("failing service within the stale bound: %v %+v", got, res)
	}
	if count(l, "stale") != 3 {
		t.Fatalf("counted %d stale", count(l, "stale"))
	}
	if _, _, err := l.Get(ctx, []int64{1, 99}); !errors.Is(err, errDown) {
		t.Fatalf("an ID never seen among stale ones: err %v, want the call's", err)
	}
	c.advance(5 * time.Minute)
	if vals, _, err := l.Get(ctx, []int64{1}); !errors.Is(err, errDown) || vals != nil {
		t.Fatalf("past the stale bound: %v %v, want the call's error", vals, err)
	}
}

// A call still running when the caller's deadline passes counts as failed:
// stale entries answer in time.
func TestStaleAnswersWhenTheCallerDeadlinePasses(t *testing.T) {
	c, s := newClock(), &service{}
	l := newLoader(t, s, testOptions(c))
	mustGet(t, l, context.Background(), 1)
	c.advance(20 * time.Second)
	gate := make(chan struct{})
	defer close(gate)
	s.set(func(s *service) { s.gate = gate })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	got, res, err := l.Get(ctx, []int64{1})
	if err != nil || got[1] != "/1/0" || !slices.Equal(res.Stale, []int64{1}) {
		t.Fatalf("deadline passed with a stale entry: %v %+v %v", got, res, err)
	}
}

// A canary's answers never answer baseline traffic, from memory or from a
// call in flight.
func TestLanesNeverShareAnswers(t *testing.T) {
	c, s := newClock(), &service{}
	l := newLoader(t, s, testOptions(c))
	canary, base := inLane(context.Background(), "canary"), context.Background()
	if got, _ := mustGet(t, l, canary, 1); got[1] != "canary/1/0" {
		t.Fatalf("canary read %v", got)
	}
	if got, res := mustGet(t, l, base, 1); got[1] != "/1/0" || res.Fetched != 1 {
		t.Fatalf("baseline after a canary fill: %v %+v", got, res)
	}
	if got, res := mustGet(t, l, canary, 1); got[1] != "canary/1/0" || res.Hits != 1 {
		t.Fatalf("canary again: %v %+v", got, res)
	}
	c.advance(time.Minute)
	gate := make(chan struct{})
	s.set(func(s *service) { s.gate, s.entered = gate, make(chan []int64, 4) })
	a := getAsync(l, canary, 1)
	receive(t, s.entered, "the canary call")
	b := getAsync(l, base, 1)
	receive(t, s.entered, "a baseline call of its own")
	close(gate)
	if ga, gb := receive(t, a, "canary"), receive(t, b, "baseline"); ga.vals[1] != "canary/1/0" || gb.vals[1] != "/1/0" || gb.res.Shared != 0 {
		t.Fatalf("in flight: canary %+v, baseline %+v", ga, gb)
	}
}

// Colored traffic, however many colors it brings, evicts no baseline
// entry: the colored lanes have a store of their own (coloredShare of the
// bound). A client may send any color on any request.
func TestColoredLanesCannotEvictTheBaseline(t *testing.T) {
	c, s := newClock(), &service{}
	o := testOptions(c)
	o.MaxEntries = 80 // 70 for the baseline, 10 for the colored lanes
	l := newLoader(t, s, o)
	base := context.Background()
	ids := make([]int64, 50)
	for i := range ids {
		ids[i] = int64(i)
	}
	mustGet(t, l, base, ids...)
	for i := range 2000 {
		mustGet(t, l, inLane(base, fmt.Sprintf("c%d", i)), int64(i%100), int64(100+i%7))
	}
	if _, res := mustGet(t, l, base, ids...); res.Hits != len(ids) {
		t.Errorf("after 2,000 reads in 2,000 colors, the baseline's %d entries answered %d from memory", len(ids), res.Hits)
	}
	l.colored.CleanUp()
	if n := l.colored.EstimatedSize(); n > 10 {
		t.Errorf("the colored lanes hold %d entries, bound 10", n)
	}
}

// A request with a mock scenario neither reads nor fills the cache.
func TestScenarioRequestsBypassTheCache(t *testing.T) {
	c, s := newClock(), &service{}
	l := newLoader(t, s, testOptions(c))
	plain := context.Background()
	scn := context.WithValue(plain, scenarioKey{}, "archive=unavailable")
	mustGet(t, l, plain, 1)
	s.set(func(s *service) { s.version = 1 })
	if got, _ := mustGet(t, l, scn, 1, 2); got[1] != "/1/1" || s.callCount() != 2 {
		t.Fatalf("scenario read %v after %d calls: it was answered from memory", got, s.callCount())
	}
	if got, res := mustGet(t, l, plain, 1); got[1] != "/1/0" || res.Hits != 1 {
		t.Fatalf("plain read after a scenario read: %v %+v, the scenario filled the cache", got, res)
	}
	if _, res := mustGet(t, l, plain, 2); res.Fetched != 1 {
		t.Fatalf("an ID only a scenario read saw was cached: %+v", res)
	}
	s.set(func(s *service) { s.err = errDown })
	c.advance(time.Minute)
	if _, _, err := l.Get(scn, []int64{1}); !errors.Is(err, errDown) {
		t.Fatalf("a scenario's failure was covered by a stale entry: %v", err)
	}
	if n := count(l, "bypass"); n != 3 {
		t.Fatalf("counted %d bypassed IDs, want 3", n)
	}
}

// A request whose deadline has already passed starts no call: it is
// answered from memory, stale included, or fails at once.
func TestAnEndedRequestStartsNoCall(t *testing.T) {
	c, s := newClock(), &service{}
	l := newLoader(t, s, testOptions(c))
	mustGet(t, l, context.Background(), 1)
	c.advance(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, res, err := l.Get(ctx, []int64{1})
	if err != nil || got[1] != "/1/0" || len(res.Stale) != 1 {
		t.Fatalf("ended request with a stale entry: %v %+v %v", got, res, err)
	}
	if _, _, err := l.Get(ctx, []int64{2}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended request for an unknown ID: %v", err)
	}
	l.wg.Wait()
	if n := s.callCount(); n != 1 {
		t.Fatalf("ended requests made %d calls", n-1)
	}
}

// When the caller's deadline passes while it waits on another request's
// slow call, an answer its own call has already brought still counts: the
// ID is served fresh, not stale, and an absence it learnt is not a failure.
func TestAnAnswerInHandOutlivesTheDeadline(t *testing.T) {
	for _, absent := range []bool{false, true} {
		c, s := newClock(), &service{absent: map[int64]bool{2: absent}}
		o := testOptions(c)
		o.Negative = 0 // an absence is known only from the call that said so
		l := newLoader(t, s, o)
		mustGet(t, l, context.Background(), 1)
		c.advance(time.Minute) // 1: past freshness, within the stale bound
		gate := make(chan struct{})
		s.set(func(s *service) { s.gate, s.entered = gate, make(chan []int64, 4) })
		slow := getAsync(l, context.Background(), 1) // its call for 1 is held
		receive(t, s.entered, "the held call")
		gate2 := make(chan struct{})
		s.set(func(s *service) { s.gate = gate2 }) // the next call is held apart

		ctx, cancel := context.WithCancel(context.Background())
		ch := getAsync(l, ctx, 1, 2) // waits on the held call for 1, its own for 2
		receive(t, s.entered, "the call for 2")
		l.flights.mu.Lock()
		for2 := l.flights.m[key[int64]{"", 2}] // in flight: its call is held
		l.flights.mu.Unlock()
		close(gate2)
		select {
		case <-for2.done:
		case <-time.After(10 * time.Second):
			t.Fatal("the call for 2 did not finish")
		}
		cancel()
		r := receive(t, ch, "the request whose deadline passed")
		want := map[int64]string{1: "/1/0", 2: "/2/0"}
		if absent {
			delete(want, 2)
		}
		if r.err != nil || !maps.Equal(r.vals, want) || !slices.Equal(r.res.Stale, []int64{1}) || r.res.Fetched != 1 {
			t.Errorf("2 absent %v: %v %+v %v; want %v with only 1 stale and 2 fetched", absent, r.vals, r.res, r.err, want)
		}
		close(gate)
		receive(t, slow, "the held request")
	}
}

// A stale bound of centuries ("stale forever") is held at the largest
// instant instead of wrapping into one already past.
func TestAStaleBoundOfCenturiesHolds(t *testing.T) {
	for _, bound := range []time.Duration{2562047 * time.Hour, math.MaxInt64} {
		c, s := newClock(), &service{}
		o := testOptions(c)
		o.Stale, o.Jitter = bound, 0.1
		l := newLoader(t, s, o)
		mustGet(t, l, context.Background(), 1)
		if _, res := mustGet(t, l, context.Background(), 1); res.Hits != 1 {
			t.Errorf("stale bound %v: a second read within freshness missed: %+v", bound, res)
		}
		c.advance(time.Minute)
		s.set(func(s *service) { s.err = errDown })
		if got, res, err := l.Get(context.Background(), []int64{1}); err != nil || got[1] != "/1/0" || !slices.Equal(res.Stale, []int64{1}) {
			t.Errorf("stale bound %v, service failing a minute on: %v %+v %v; want the entry, stale", bound, got, res, err)
		}
	}
}

// Once closed, a loader starts nothing, so a request served past the
// shutdown grace cannot race its Close: a read that needs a call fails with
// ErrClosed, a refresh ahead is not started, and entries within their
// bounds still answer.
func TestAClosedLoaderStartsNoCall(t *testing.T) {
	c, s := newClock(), &service{}
	o := testOptions(c)
	o.RefreshAhead = 0.5
	l, err := New("archive", s.fetch, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustGet(t, l, ctx, 1)
	l.Close()
	c.advance(6 * time.Second) // in the last half of 1's freshness: due for a refresh
	if _, res := mustGet(t, l, ctx, 1); res.Hits != 1 {
		t.Errorf("a fresh entry after Close: %+v, want a hit", res)
	}
	c.advance(time.Minute)
	if got, res := mustGet(t, l, ctx, 1); got[1] != "/1/0" || !slices.Equal(res.Stale, []int64{1}) {
		t.Errorf("an entry within the stale bound after Close: %v %+v, want it, stale", got, res)
	}
	if _, _, err := l.Get(ctx, []int64{2}); !errors.Is(err, ErrClosed) {
		t.Errorf("a miss after Close: %v, want ErrClosed", err)
	}
	if n := s.callCount(); n != 1 {
		t.Errorf("%d calls, want only the one before Close", n)
	}
}

// A read waits on two other requests' calls; the first fails, then the
// read's deadline passes while it waits on the second. The IDs of the
// failed call are not lost: served stale when an entry is within the stale
// bound, an error when there is none, never reported absent.
func TestIDsOfAFailedCallOutliveTheDeadline(t *testing.T) {
	for _, cached := range []bool{false, true} {
		c, s := newClock(), &service{}
		l := newLoader(t, s, testOptions(c))
		if cached {
			mustGet(t, l, context.Background(), 1, 2)
		} else {
			mustGet(t, l, context.Background(), 2)
		}
		c.advance(time.Minute) // past freshness, within the stale bound
		gate1, gate2 := make(chan struct{}), make(chan struct{})
		s.set(func(s *service) { s.gate, s.entered = gate1, make(chan []int64, 4) })
		first := getAsync(l, context.Background(), 1)
		receive(t, s.entered, "the call for 1")
		s.set(func(s *service) { s.gate = gate2 })
		second := getAsync(l, context.Background(), 2)
		receive(t, s.entered, "the call for 2")

		ctx, cancel := context.WithCancel(context.Background())
		ctx, mark := freshness.Watch(ctx)
		reader := getAsync(l, ctx, 1, 2)
		eventually(t, "the reader to join both calls", func() bool { return waiters(l, 1) == 2 && waiters(l, 2) == 2 })
		s.set(func(s *service) { s.err = errDown })
		close(gate1)
		receive(t, first, "the request whose call for 1 failed")
		cancel() // while the reader waits on the call for 2
		got := receive(t, reader, "the reader")
		if cached {
			if got.err != nil || got.vals[1] != "/1/0" || !slices.Contains(got.res.Stale, 1) || !mark.Stale() {
				t.Errorf("1 has a stale entry and its call failed: got %v %+v %v, want it served stale", got.vals, got.res, got.err)
			}
		} else if got.err == nil {
			t.Errorf("1 has no entry and its call failed: got %v %+v with no error (1 reported absent)", got.vals, got.res)
		}
		close(gate2)
		receive(t, second, "the request for 2")
	}
}

// errHookCtx runs hook at its first Err(): load's first look at the
// context, after the read found its entries and before it claims calls.
type errHookCtx struct {
	context.Context
	hook func()
	ran  bool
}

func (c *errHookCtx) Err() error {
	if !c.ran {
		c.ran = true
		c.hook()
	}
	return nil
}

// Another request's call fills an entry between this read's look at memory
// and its own call. When that own call fails, the entry is fresh: it
// answers as a hit, not stale, and the step is not marked stale.
func TestAnEntryFilledMeanwhileIsNotServedAsStale(t *testing.T) {
	c, s := newClock(), &service{}
	l := newLoader(t, s, testOptions(c))
	mustGet(t, l, context.Background(), 1)
	c.advance(time.Minute) // past freshness
	ctx, mark := freshness.Watch(&errHookCtx{Context: context.Background(), hook: func() {
		l.fill("", []int64{1}, map[int64]string{1: "/1/new"}, l.now())
		s.set(func(s *service) { s.err = errDown })
	}})
	got, res, err := l.Get(ctx, []int64{1})
	if err != nil || got[1] != "/1/new" || len(res.Stale) != 0 || res.Hits != 1 || mark.Stale() {
		t.Errorf("got %v %+v %v (stale mark %v), want the fresh entry as a hit", got, res, err, mark.Stale())
	}
}

// doneHookCtx runs hook at its first Done() and is cancelled from then on:
// it puts the caller's deadline at an exact point of the read.
type doneHookCtx struct {
	context.Context
	once sync.Once
	hook func()
	done chan struct{}
	gone atomic.Bool
}

func (c *doneHookCtx) Done() <-chan struct{} {
	c.once.Do(func() { c.hook(); c.gone.Store(true); close(c.done) })
	return c.done
}

func (c *doneHookCtx) Err() error {
	if c.gone.Load() {
		return context.Canceled
	}
	return nil
}

// The read's own call answers just as its deadline passes: the answer in
// hand wins, and a complete answer is not marked stale.
func TestAnAnswerAtTheDeadlineIsNotMarkedStale(t *testing.T) {
	c, s := newClock(), &service{}
	l := newLoader(t, s, testOptions(c))
	marked := 0
	for i := int64(1); i <= 40; i++ {
		gate := make(chan struct{})
		s.set(func(s *service) { s.gate = gate })
		hc := &doneHookCtx{Context: context.Background(), done: make(chan struct{}), hook: func() {
			l.flights.mu.Lock()
			f := l.flights.m[key[int64]{"", i}]
			l.flights.mu.Unlock()
			close(gate)
			if f != nil {
				<-f.done // the answer lands as the deadline passes
			}
		}}
		ctx, mark := freshness.Watch(hc)
		vals, res, err := l.Get(ctx, []int64{i})
		if err != nil || vals[i] == "" || len(res.Stale) != 0 || res.Fetched != 1 {
			t.Fatalf("read %d: %v %+v %v, want it fetched", i, vals, res, err)
		}
		if mark.Stale() {
			marked++
		}
	}
	if marked > 0 {
		t.Errorf("%d of 40 complete answers marked their step stale", marked)
	}
}
