// Package stat is the typed client of stat.v1.StatService.
package stat

import (
	"context"

	"google.golang.org/grpc"

	"mosaic/clients/batch"
	"mosaic/clients/cache"
	statv1 "mosaic/clients/stat/v1"
)

// Client reads archive counters in batches of at most max aids a call,
// through a cache once Cache has put one in front. Values read through a
// cache are shared between requests: callers must not modify them.
type Client struct {
	cache.ByID[int64, *statv1.Stat]
}

// New returns a Client over cc, with no cache; max is the service's batch
// limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	rpc := statv1.NewStatServiceClient(cc)
	return &Client{cache.NewByID(batch.Reader(max, rpc.BatchGetStats,
		func(ids []int64) *statv1.BatchGetStatsRequest { return &statv1.BatchGetStatsRequest{Aids: ids} },
		(*statv1.BatchGetStatsResponse).GetStats))}
}

// Stats returns the counters of the archives among aids that exist.
func (c *Client) Stats(ctx context.Context, aids []int64) (map[int64]*statv1.Stat, error) {
	return c.Read(ctx, aids)
}
