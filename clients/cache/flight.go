package cache

import (
	"context"
	"slices"
	"sync"
	"time"
)

// flight is one downstream call for a set of IDs, which every request that
// needs any of them waits for.
type flight[K comparable, V any] struct {
	lane   string
	ids    []K
	ctx    context.Context // detached from every caller
	cancel context.CancelFunc
	done   chan struct{}
	// vals and err are written before done is closed.
	vals map[K]V
	err  error
	// waiters counts the requests waiting; guarded by flights.mu.
	waiters int
}

// wait reports whether f finished before ctx ended. An answer already
// there wins over a deadline passing at the same moment.
func (f *flight[K, V]) wait(ctx context.Context) bool {
	select {
	case <-f.done:
		return true
	default:
	}
	select {
	case <-f.done:
		return true
	case <-ctx.Done():
		return false
	}
}

// waitFor is a flight and the IDs of one request it answers.
type waitFor[K comparable, V any] struct {
	f   *flight[K, V]
	ids []K
}

// flights are the calls in progress, by ID and lane.
type flights[K comparable, V any] struct {
	mu sync.Mutex
	m  map[key[K]]*flight[K, V]
}

// claim finds the flights already fetching ids and, for the rest, creates
// one (own, nil when there is no rest) that the caller must run. With join,
// the caller becomes a waiter of every flight returned, own included; the
// flights it joined it must wait for or leave. Without join it waits for
// none: the IDs in flight are simply not its to fetch. When own is
// created, it also fetches those of extra that no flight is fetching, as
// long as own stays within limit IDs (0: none); the caller does not wait
// for them (a refresh riding on a miss).
//
// The new flight's context keeps ctx's values (trace, request id, lane)
// but not its cancellation or deadline: the call belongs to all its
// waiters, and ends when the last leaves or its backstop passes.
func (fs *flights[K, V]) claim(ctx context.Context, lane string, ids, extra []K, limit int, timeout time.Duration, join bool) (waits []waitFor[K, V], own *flight[K, V]) {
	var mine []K
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, id := range ids {
		f, ok := fs.m[key[K]{lane, id}]
		switch {
		case !ok:
			mine = append(mine, id)
		case join:
			waits = joinFlight(waits, f, id)
		}
	}
	if len(mine) == 0 {
		return waits, nil
	}
	waited := mine[:len(mine):len(mine)] // own.ids may grow past it
	for _, id := range extra {
		if limit > 0 && len(mine) >= limit {
			break
		}
		if _, ok := fs.m[key[K]{lane, id}]; !ok {
			mine = append(mine, id)
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backstop(timeout))
	own = &flight[K, V]{lane: lane, ids: mine, ctx: fctx, cancel: cancel, done: make(chan struct{}), waiters: 1}
	for _, id := range mine {
		fs.m[key[K]{lane, id}] = own
	}
	return append(waits, waitFor[K, V]{own, waited}), own
}

// joinFlight adds id to the wait on f, joining f on its first ID.
// Callers hold mu.
func joinFlight[K comparable, V any](waits []waitFor[K, V], f *flight[K, V], id K) []waitFor[K, V] {
	i := slices.IndexFunc(waits, func(w waitFor[K, V]) bool { return w.f == f })
	if i < 0 {
		f.waiters++
		return append(waits, waitFor[K, V]{f, []K{id}})
	}
	waits[i].ids = append(waits[i].ids, id)
	return waits
}

// leave is a waiter giving up on f; the last one cancels the call, and
// the next request for its IDs starts another.
func (fs *flights[K, V]) leave(f *flight[K, V]) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		fs.drop(f)
	}
}

// finish publishes f's answer to its waiters. The answer is already in the
// store: a request that no longer finds f finds the entries.
func (fs *flights[K, V]) finish(f *flight[K, V], vals map[K]V, err error) {
	fs.mu.Lock()
	fs.drop(f)
	f.vals, f.err = vals, err
	fs.mu.Unlock()
	close(f.done)
	f.cancel()
}

// drop forgets f's IDs, unless a later flight has taken them over.
// Callers hold mu.
func (fs *flights[K, V]) drop(f *flight[K, V]) {
	for _, id := range f.ids {
		k := key[K]{f.lane, id}
		if fs.m[k] == f {
			delete(fs.m, k)
		}
	}
}

// backstop is how long a detached call may run at most: half as long again
// as the per-call timeout, which the client sets on the call a moment later
// and which must fire first. A timeout under the call's own deadline is the
// service's (the throttle counts it); one under a deadline its caller set
// is the caller's (it does not). Had the flight's deadline been the
// timeout itself, it would have been the earlier of the two, and a
// service that hangs would never have been cut off while the caches were
// on.
func backstop(timeout time.Duration) time.Duration { return timeout + timeout/2 }
