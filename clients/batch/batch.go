// Package batch turns one logical batch read into as few downstream calls as
// the service's batch limit allows: IDs are deduplicated, split into chunks of
// at most max, and the chunks are fetched concurrently.
package batch

import (
	"context"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
)

// Call reads ids through one generated batch method, in chunks of at most
// max (Fetch): req makes a chunk's request, pick takes the entries out of
// the answer. What differs between the typed clients' batch reads is only
// those three.
func Call[Req, Resp, V any](ctx context.Context, ids []int64, max int,
	method func(context.Context, Req, ...grpc.CallOption) (Resp, error),
	req func([]int64) Req, pick func(Resp) map[int64]V,
) (map[int64]V, error) {
	return Fetch(ctx, ids, max, func(ctx context.Context, chunk []int64) (map[int64]V, error) {
		resp, err := method(ctx, req(chunk))
		if err != nil {
			return nil, err
		}
		return pick(resp), nil
	})
}

// Reader is Call as a read of its own: what a cache in front of the
// method fetches with.
func Reader[Req, Resp, V any](max int,
	method func(context.Context, Req, ...grpc.CallOption) (Resp, error),
	req func([]int64) Req, pick func(Resp) map[int64]V,
) func(context.Context, []int64) (map[int64]V, error) {
	return func(ctx context.Context, ids []int64) (map[int64]V, error) {
		return Call(ctx, ids, max, method, req, pick)
	}
}

// Fetch calls fetch once per chunk of at most max distinct ids and merges the
// results. IDs absent from the downstream's answer are absent from the map.
// With a single chunk (the common case) no goroutine is started. A max
// below 1 puts every id in one chunk.
func Fetch[K comparable, V any](ctx context.Context, ids []K, max int, fetch func(context.Context, []K) (map[K]V, error)) (map[K]V, error) {
	uniq := Dedup(ids)
	if len(uniq) == 0 {
		return map[K]V{}, nil
	}
	if max < 1 || len(uniq) <= max {
		return fetch(ctx, uniq)
	}
	var (
		mu  sync.Mutex
		out = make(map[K]V, len(uniq))
	)
	g, gctx := errgroup.WithContext(ctx)
	for start := 0; start < len(uniq); start += max {
		chunk := uniq[start:min(start+max, len(uniq))]
		g.Go(func() error {
			got, err := fetch(gctx, chunk)
			if err != nil {
				return err
			}
			mu.Lock()
			for k, v := range got {
				out[k] = v
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// Dedup returns ids without repeats, in first-seen order, so that a request
// is the same for the same input and the downstream never sees a duplicate.
// Scene batches are small (at most a page of IDs), where a quadratic scan
// beats building a map.
func Dedup[K comparable](ids []K) []K {
	if len(ids) < 2 {
		return ids
	}
	if len(ids) > 64 {
		return dedupLarge(ids)
	}
	out := make([]K, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func dedupLarge[K comparable](ids []K) []K {
	seen := make(map[K]struct{}, len(ids))
	out := make([]K, 0, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}
