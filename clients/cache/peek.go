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
	now := l.o.Now().UnixNano()
	vals = make(map[K]V, len(ids))
	for _, id := range ids {
		e, found := l.store.GetEntryQuietly(key[K]{lane, id})
		if !found || now >= e.Value.fresh {
			return nil, false
		}
		if e.Value.ok {
			vals[id] = e.Value.val
		}
	}
	return vals, true
}

// PassThrough is a loader that keeps nothing: every Get calls fetch, as
// Options.Off does. A typed client starts with one until a cache is put in
// front of it.
func PassThrough[K comparable, V any](fetch func(context.Context, []K) (map[K]V, error)) *Loader[K, V] {
	return &Loader[K, V]{name: "off", fetch: fetch, o: Options{Off: true}}
}

// Read is Get for a caller that needs only the values: a stale answer is
// still marked on ctx (package freshness) for the scene step to see.
func (l *Loader[K, V]) Read(ctx context.Context, ids []K) (map[K]V, error) {
	vals, _, err := l.Get(ctx, ids)
	return vals, err
}
