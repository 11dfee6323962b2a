package cache

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
)

// key is an ID in its lane: each lane's entries and calls are its own.
type key[K comparable] struct {
	lane string
	id   K
}

// entry is what the downstream said about one ID, and until when it holds.
type entry[V any] struct {
	val        V
	ok         bool        // false: the ID does not exist
	fresh      int64       // ns since New (Loader.now): answers without a call until then
	stale      int64       // ns since New: answers when a call fails until then
	asked      int64       // ns since New: when the call that answered it was made
	refreshing atomic.Bool // a refresh ahead of expiry has been started
}

// coloredShare: every colored lane's entries share 1/coloredShare of the
// bound. The lanes keep apart, but in one store a color's entries could
// evict the baseline's, and a client may send any color: otter's admission
// turns away most one-off entries, yet under a tight bound 2,000 colors
// left none of 50 baseline entries (TestColoredLanesCannotEvictTheBaseline).
// In a store of their own, colored traffic evicts colored entries only, and
// a canary's working set, a lane of a few testers, fits in an eighth.
const coloredShare = 8

// newStores are the baseline's store and the colored lanes', which share
// the bound one to coloredShare-1.
func newStores[K comparable, V any](o Options, m *cacheMetrics) (baseline, colored *otter.Cache[key[K], *entry[V]]) {
	c := o
	o.MaxEntries, c.MaxEntries = split(o.MaxEntries)
	o.MaxBytes, c.MaxBytes = split(o.MaxBytes)
	return newStore[K, V](o, m), newStore[K, V](c, m)
}

// split shares a bound n (none when 0) between the baseline and the
// colored lanes, each keeping one at least: a bound of 0 would be none.
func split[N int | int64](n N) (baseline, colored N) {
	if n <= 0 {
		return n, n
	}
	colored = max(n/coloredShare, 1)
	return max(n-colored, 1), colored
}

// storeOf is the store of lane's entries.
func (l *Loader[K, V]) storeOf(lane string) *otter.Cache[key[K], *entry[V]] {
	if lane == "" {
		return l.store
	}
	return l.colored
}

// newStore is a bounded map of entries. Otter expires an entry once it is
// past any use (its longest freshness plus the stale bound), so memory is
// given back before the bound forces it; freshness itself is checked here,
// against Options.Now, per entry.
func newStore[K comparable, V any](o Options, m *cacheMetrics) *otter.Cache[key[K], *entry[V]] {
	longest := duration(float64(max(o.Fresh, o.Negative)) * (1 + max(o.Jitter, 0)))
	opts := &otter.Options[key[K], *entry[V]]{
		MaximumSize:      o.MaxEntries,
		ExpiryCalculator: otter.ExpiryWriting[key[K], *entry[V]](time.Duration(later(int64(longest), o.Stale))),
		OnAtomicDeletion: func(e otter.DeletionEvent[key[K], *entry[V]]) {
			if e.Cause == otter.CauseOverflow {
				m.evicted.Inc()
			}
		},
	}
	if o.MaxBytes > 0 {
		opts.MaximumSize = 0
		opts.MaximumWeight = uint64(o.MaxBytes)
		opts.Weigher = func(k key[K], e *entry[V]) uint32 { return weigh(o.Size, k, e) }
	}
	return otter.Must(opts)
}

// EntryOverhead is what the store spends on an entry beyond its value:
// otter's node with its expiry and weight, the key, the entry, and the
// hash table's share. Measured on amd64 (TestEntryOverheadCoversTheStore),
// rounded up.
const EntryOverhead = 192

// weigh is the bytes an entry holds: the store's overhead, the key's lane
// (each request's own string) and the value, if there is one.
func weigh[K comparable, V any](size func(any) int, k key[K], e *entry[V]) uint32 {
	w := EntryOverhead + len(k.lane)
	if e.ok {
		w += size(e.val)
	}
	return uint32(min(w, math.MaxUint32))
}

// due are the IDs of one read whose entries are about to expire, and the
// entries, whose refresh the read has claimed.
type due[K comparable, V any] struct {
	ids     []K
	entries []*entry[V]
}

// fromMemory answers the IDs whose entries are fresh and returns the others,
// and those about to expire, for the caller to refresh.
func (l *Loader[K, V]) fromMemory(lane string, ids []K, out map[K]V, res *Result[K]) (need []K, d due[K, V]) {
	now := l.now()
	for _, id := range ids {
		e, ok := l.storeOf(lane).GetIfPresent(key[K]{lane, id})
		if !ok || now >= e.fresh {
			need = append(need, id)
			continue
		}
		res.Hits++
		if e.ok {
			out[id] = e.val
		}
		if l.dueForRefresh(e, now) {
			d.ids = append(d.ids, id)
			d.entries = append(d.entries, e)
		}
	}
	l.m.add(l.m.hit, res.Hits)
	return need, d
}

// dueForRefresh: e is in the last part of its freshness and no refresh of
// it has started; the first read to see that claims the refresh.
func (l *Loader[K, V]) dueForRefresh(e *entry[V], now int64) bool {
	return l.ahead > 0 && e.ok && now >= e.fresh-l.ahead && e.refreshing.CompareAndSwap(false, true)
}

// refreshAhead fetches d's IDs in the background, detached from the reading
// request but in its lane and with its trace: a read that makes no call of
// its own (load folds them into the one it makes). IDs some call is already
// fetching are left to it. When every refresh slot is busy none starts, and
// the entries are left for a later read to claim.
func (l *Loader[K, V]) refreshAhead(ctx context.Context, lane string, d due[K, V]) {
	slots := l.refreshes.of(lane)
	select {
	case slots <- struct{}{}:
	default:
		d.unclaim(nil)
		return
	}
	// The refresh holds its flight's only claim and never gives it up:
	// only its Timeout ends it, whoever joins and leaves meanwhile.
	_, own := l.flights.claim(ctx, lane, d.ids, nil, 0, l.o.Timeout, false)
	d.unclaim(own)
	if own == nil {
		<-slots
		return
	}
	if !l.spawn(func() {
		l.run(own)
		<-slots
	}) {
		l.flights.finish(own, nil, ErrClosed)
		<-slots
	}
}

// slots are the refresh slots, apart as the stores are: the colored lanes'
// refreshes never take the baseline's.
type slots struct{ baseline, colored chan struct{} }

func (s slots) of(lane string) chan struct{} {
	if lane == "" {
		return s.baseline
	}
	return s.colored
}

// unclaim gives up the refresh of the IDs that own, the call refreshing
// them, does not fetch (all of them when own is nil). Another call is
// fetching them, or none could start; if that call comes to nothing (its
// waiters all left), a later read must be able to claim them again.
func (d due[K, V]) unclaim(own *flight[K, V]) {
	for i, id := range d.ids {
		if own == nil || !slices.Contains(own.ids, id) {
			d.entries[i].refreshing.Store(false)
		}
	}
}

// fill keeps the answer of a call made at asked: the values found, and the
// absence of the others when absences are remembered. An entry from a
// call made later is kept: a slow call's answer, older news, must not
// replace what a quicker call asked after it brought.
func (l *Loader[K, V]) fill(lane string, ids []K, vals map[K]V, asked int64) {
	store := l.storeOf(lane)
	now := l.now()
	for _, id := range ids {
		v, ok := vals[id]
		life := l.o.Fresh
		if !ok {
			life = l.o.Negative
		}
		var e *entry[V]
		if life > 0 {
			fresh := later(now, l.jitter(life))
			e = &entry[V]{val: v, ok: ok, fresh: fresh, stale: later(fresh, l.o.Stale), asked: asked}
		}
		store.Compute(key[K]{lane, id}, func(old *entry[V], found bool) (*entry[V], otter.ComputeOp) {
			switch {
			case found && old.asked > asked:
				return old, otter.CancelOp
			case e == nil:
				// An entry kept from before would answer for an ID
				// that is gone now.
				return nil, otter.InvalidateOp
			}
			return e, otter.WriteOp
		})
	}
}

// later is t + d, held at the largest instant rather than wrapping: a bound
// of centuries ("stale forever") must not turn into one already past.
func later(t int64, d time.Duration) int64 {
	if int64(d) > math.MaxInt64-t {
		return math.MaxInt64
	}
	return t + int64(d)
}

// jitter spreads d uniformly over ±Options.Jitter of it.
func (l *Loader[K, V]) jitter(d time.Duration) time.Duration {
	if l.o.Jitter <= 0 {
		return d
	}
	return duration(float64(d) * (1 + l.o.Jitter*(2*rand.Float64()-1)))
}

// duration converts ns to a Duration, held at the largest one: a float past
// int64 converts to whatever the machine makes of it (negative on amd64).
func duration(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}
