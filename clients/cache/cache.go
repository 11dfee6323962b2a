// Package cache is a read-through loader of entities by ID, for the batch
// reads whose answers do not depend on the viewer (archives, profiles,
// stats). It serves hot entities from memory within a freshness bound,
// shares in-flight downstream calls by ID between concurrent requests, and
// answers from entries past their freshness when the downstream fails.
//
// Why not a DataLoader or singleflight: a DataLoader waits a batching window
// (16 ms in the common ports) and runs the shared batch on the first
// caller's context, so that caller's cancel fails everyone; singleflight has
// no context and shares whole calls, not IDs. Here a request that needs IDs
// another request is already fetching waits for that call and asks the
// downstream only for the rest, at once; the shared call runs detached from
// any one caller and is cancelled when its last waiter leaves.
//
// Lanes and scenarios: the loader keys every entry and every in-flight call
// by lane (the request's traffic color), so a canary answer never answers
// baseline traffic, and a request carrying a mock fault scenario neither
// reads nor fills the cache. The loader reads both from the request context
// through Options.Lane and Options.Scenario; with package conn that is
//
//	cache.Options{Lane: conn.Color, Scenario: conn.Scenario}
//
// given the two accessors conn/calls.go exports:
//
//	func Color(ctx context.Context) string    { s, _ := ctx.Value(colorKey).(string); return s }
//	func Scenario(ctx context.Context) string { s, _ := ctx.Value(scenarioKey).(string); return s }
//
// Values are shared between requests: callers must not modify them.
package cache

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"

	"mosaic/clients/batch"
	"mosaic/clients/freshness"
)

// Result says how a Get was answered, ID by ID.
type Result[K comparable] struct {
	// Stale lists the IDs answered from past their freshness because the
	// downstream call failed or the caller's deadline passed: the scene
	// reports its section degraded with reason stale. The loader also
	// marks the request's context (freshness.Stale).
	Stale []K
	// Hits, Shared and Fetched count the distinct IDs answered from memory,
	// by another request's call, and by this request's own call.
	Hits, Shared, Fetched int
}

// Loader reads entities by ID through its cache. It is safe for concurrent
// use.
type Loader[K comparable, V any] struct {
	name      string
	fetch     func(context.Context, []K) (map[K]V, error)
	o         Options
	store     *otter.Cache[key[K], *entry[V]] // the baseline lane's; nil when Off
	colored   *otter.Cache[key[K], *entry[V]] // every colored lane's, within coloredShare of the bound
	flights   flights[K, V]
	refreshes slots // a slot per running background refresh, the baseline's and the colored lanes' apart
	m         *cacheMetrics
	wg        sync.WaitGroup // the loader's own goroutines
	ahead     int64          // ns before freshness ends when a read refreshes
	epoch     time.Time      // New's instant: the entries' times are ns since it
	// life keeps goroutines from starting once Close has: a request still
	// served past the shutdown grace may read as the loader closes, and a
	// WaitGroup must not gain work while Wait runs.
	life   sync.Mutex
	closed bool
}

// ErrClosed answers a read that needs a downstream call once the loader is
// closed; entries within their bounds still answer.
var ErrClosed = errors.New("cache: loader closed")

// New returns a loader named name (its label in the metrics) over fetch,
// the uncached read: it gets distinct IDs and answers those that exist.
func New[K comparable, V any](name string, fetch func(context.Context, []K) (map[K]V, error), opts Options) (*Loader[K, V], error) {
	l := &Loader[K, V]{name: name, fetch: fetch, o: opts}
	if opts.Off {
		return l, nil
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	l.o = opts.withDefaults()
	l.epoch = l.o.Now()
	l.m = l.o.Metrics.of(name)
	l.store, l.colored = newStores[K, V](l.o, l.m)
	l.refreshes = slots{make(chan struct{}, l.o.MaxRefreshes), make(chan struct{}, l.o.MaxRefreshes)}
	l.flights.m = make(map[key[K]]*flight[K, V])
	if l.o.RefreshAhead > 0 {
		l.ahead = int64(l.o.RefreshAhead * float64(l.o.Fresh))
	}
	return l, nil
}

// Get returns the values of the IDs among ids that exist. An error means
// some ID could be answered neither fresh nor within the stale bound; then
// the map is nil, as a failed downstream call's would be.
func (l *Loader[K, V]) Get(ctx context.Context, ids []K) (map[K]V, Result[K], error) {
	uniq := batch.Dedup(ids)
	if l.o.Off || l.bypass(ctx, len(uniq)) {
		vals, err := l.fetch(ctx, uniq)
		return vals, Result[K]{Fetched: len(uniq)}, err
	}
	lane := l.o.Lane(ctx)
	out := make(map[K]V, len(uniq))
	var res Result[K]
	need, due := l.fromMemory(lane, uniq, out, &res)
	if len(need) == 0 {
		if len(due.ids) > 0 {
			l.refreshAhead(ctx, lane, due)
		}
		return out, res, nil
	}
	failed, err := l.load(ctx, lane, need, due, out, &res)
	l.m.add(l.m.miss, res.Fetched)
	l.m.add(l.m.shared, res.Shared)
	if err != nil {
		if err = l.serveStale(ctx, lane, failed, out, &res, err); err != nil {
			return nil, res, err
		}
	}
	return out, res, nil
}

// bypass: a request carrying a mock scenario is one developer's injected
// fault; its answers must neither come from nor land in the shared cache.
func (l *Loader[K, V]) bypass(ctx context.Context, n int) bool {
	if l.o.Scenario(ctx) == "" {
		return false
	}
	l.m.add(l.m.bypass, n)
	return true
}

// load waits for the in-flight calls of need, starting one for the IDs no
// call is fetching yet, and returns the IDs it could not answer. The IDs
// due for a refresh ride on that call: a read calls the downstream method
// once, as the design has it, not once for its misses and once more for
// its refresh.
func (l *Loader[K, V]) load(ctx context.Context, lane string, need []K, due due[K, V], out map[K]V, res *Result[K]) ([]K, error) {
	if err := ctx.Err(); err != nil {
		due.unclaim(nil)
		return need, err // a call no one would wait for
	}
	waits, own := l.flights.claim(ctx, lane, need, due.ids, l.o.MaxBatch, l.o.Timeout, true)
	if own == nil && len(due.ids) > 0 {
		l.refreshAhead(ctx, lane, due)  // every miss is another's call: none of our own to ride on
		due.ids, due.entries = nil, nil // the refresh holds its claims now, whatever this read does
	} else {
		due.unclaim(own)
	}
	if own != nil && !l.spawn(func() { l.run(own) }) {
		l.flights.finish(own, nil, ErrClosed)
	}
	var (
		failed []K
		errs   error
	)
	for i, w := range waits {
		if !w.f.wait(ctx) {
			// Leaving our call may cancel it, and the refreshes riding on
			// it with it: a later read must be able to claim them again.
			due.unclaim(nil)
			return append(failed, l.abandon(waits[i:], own, out, res)...), ctx.Err() // the calls that failed before count too
		}
		if w.f.err != nil {
			failed = append(failed, w.ids...)
			errs = w.f.err
			continue
		}
		l.take(w, own, out, res)
	}
	return failed, errs
}

// abandon is the caller's deadline passing while it waits on waits[0]: it
// leaves each flight not done yet and returns the IDs of those, and of any
// that failed. A flight already done still answers, as an answer in hand
// wins over the deadline in flight.wait; its own call, last in waits, often
// is one.
func (l *Loader[K, V]) abandon(waits []waitFor[K, V], own *flight[K, V], out map[K]V, res *Result[K]) (failed []K) {
	for _, w := range waits {
		select {
		case <-w.f.done:
			if w.f.err == nil {
				l.take(w, own, out, res)
				continue
			}
		default:
			l.flights.leave(w.f)
		}
		failed = append(failed, w.ids...)
	}
	return failed
}

// take copies a finished flight's answer for w's IDs into out.
func (l *Loader[K, V]) take(w waitFor[K, V], own *flight[K, V], out map[K]V, res *Result[K]) {
	for _, id := range w.ids {
		if v, ok := w.f.vals[id]; ok {
			out[id] = v
		}
	}
	if w.f == own {
		res.Fetched += len(w.ids)
	} else {
		res.Shared += len(w.ids)
	}
}

// run makes a flight's downstream call and keeps its answer.
func (l *Loader[K, V]) run(f *flight[K, V]) {
	asked := l.now()
	vals, err := l.call(f.ctx, f.ids)
	if err == nil {
		l.fill(f.lane, f.ids, vals, asked)
	}
	l.flights.finish(f, vals, err)
}

// call is fetch with a panic in it made its error. The call runs on a
// goroutine of the loader's, where a panic would end the process; read
// without the cache, the same panic fails only the scene's step. Its stack
// is logged here: this goroutine is the only one that has it.
func (l *Loader[K, V]) call(ctx context.Context, ids []K) (vals map[K]V, err error) {
	defer func() {
		if p := recover(); p != nil {
			vals, err = nil, fmt.Errorf("cache %s: the call panicked: %v", l.name, p)
			if l.o.Logger != nil {
				l.o.Logger.ErrorContext(ctx, "cache call panicked", "cache", l.name, "ids", len(ids), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
		}
	}()
	return l.fetch(ctx, ids)
}

// serveStale answers the failed IDs from entries within the stale bound,
// or returns err when any has none. A stale answer is also marked on ctx
// (package freshness), so a typed client can keep its signature and the
// scene step still lists its section as stale.
func (l *Loader[K, V]) serveStale(ctx context.Context, lane string, failed []K, out map[K]V, res *Result[K], err error) error {
	now := l.now()
	fresh := 0
	for _, id := range failed {
		e, ok := l.storeOf(lane).GetIfPresent(key[K]{lane, id})
		if !ok || now >= e.stale {
			l.m.add(l.m.failed, len(failed))
			res.Stale = nil
			return err
		}
		if e.ok {
			out[id] = e.val
		}
		if now < e.fresh { // another call's answer landed meanwhile
			fresh++
			continue
		}
		res.Stale = append(res.Stale, id)
	}
	l.m.add(l.m.hit, fresh)
	res.Hits += fresh
	l.m.add(l.m.stale, len(res.Stale))
	if len(res.Stale) > 0 {
		freshness.Stale(ctx)
	}
	return nil
}

// now is the loader's clock: ns since New, on the monotonic clock when
// Now is time.Now (Options.Now).
func (l *Loader[K, V]) now() int64 { return int64(l.o.Now().Sub(l.epoch)) }

// spawn runs f on a goroutine of the loader's, unless it is closed.
func (l *Loader[K, V]) spawn(f func()) bool {
	l.life.Lock()
	defer l.life.Unlock()
	if l.closed {
		return false
	}
	l.wg.Go(f)
	return true
}

// Close waits for the loader's calls and refreshes to end and stops the
// store's clean-up goroutine; from then on a read that needs a call fails
// with ErrClosed. A loader that lives as long as the process
// need not be closed.
func (l *Loader[K, V]) Close() {
	l.life.Lock()
	l.closed = true
	l.life.Unlock()
	l.wg.Wait()
	if l.store != nil {
		l.store.StopAllGoroutines()
		l.colored.StopAllGoroutines()
	}
}
