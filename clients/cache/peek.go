package cache

import "context"

// Peek returns the values of ids when every one of them is fresh in memory
// in ctx's lane (an ID fresh as absent is simply not in the map), and
// ok false otherwise. It makes no call, starts no refresh, counts nothing
// and leaves the eviction policy as it was: it is a question a caller asks
// before deciding what to wait for, not a read, and the Get that follows
// it counts. An off loader and a request carrying a mock scenario (which
// bypasses the cache) always get false.
func (l *Loader[K, V]) Peek(ctx context.Context, ids []K) (vals map[K]V, ok bool) {
	if l.o.Off || l.o.Scenario(ctx) != "" {
		return nil, false
	}
	lane := l.o.Lane(ctx)
	store := l.storeOf(lane)
	now := l.now()
	vals = make(map[K]V, len(ids))
	for _, id := range ids {
		e, found := store.GetEntryQuietly(key[K]{lane, id})
		if !found || now >= e.Value.fresh {
			return nil, false
		}
		if e.Value.ok {
			vals[id] = e.Value.val
		}
	}
	return vals, true
}

// ByID is a typed client's read by ID: it passes every read through to
// fetch, as Options.Off does, until Cache puts a cache in front. A typed
// client embeds it: its Read, Peek and Close are the client's.
type ByID[K comparable, V any] struct {
	*Loader[K, V]
	fetch func(context.Context, []K) (map[K]V, error)
}

// NewByID returns the read by ID over fetch, the uncached read, with no
// cache.
func NewByID[K comparable, V any](fetch func(context.Context, []K) (map[K]V, error)) ByID[K, V] {
	return ByID[K, V]{Loader: &Loader[K, V]{name: "off", fetch: fetch, o: Options{Off: true}}, fetch: fetch}
}

// Cache puts a cache of opts in front of the read, named name in the
// metrics; call it before the read is used. close waits for the cache's
// background calls to end.
func (b *ByID[K, V]) Cache(name string, opts Options) (close func(), err error) {
	l, err := New(name, b.fetch, opts)
	if err != nil {
		return nil, err
	}
	b.Loader = l
	return l.Close, nil
}

// Read is Get for a caller that needs only the values: a stale answer is
// still marked on ctx (package freshness) for the scene step to see.
func (l *Loader[K, V]) Read(ctx context.Context, ids []K) (map[K]V, error) {
	vals, _, err := l.Get(ctx, ids)
	return vals, err
}
