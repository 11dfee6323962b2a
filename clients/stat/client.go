// Package stat is the typed client of stat.v1.StatService.
package stat

import (
	"context"

	"google.golang.org/grpc"

	"mosaic/clients/batch"
	statv1 "mosaic/clients/stat/v1"
)

// Client reads archive counters in batches of at most max aids a call.
type Client struct {
	rpc statv1.StatServiceClient
	max int
}

// New returns a Client over cc; max is the service's batch limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	return &Client{rpc: statv1.NewStatServiceClient(cc), max: max}
}

// Stats returns the counters of the archives among aids that exist.
func (c *Client) Stats(ctx context.Context, aids []int64) (map[int64]*statv1.Stat, error) {
	return batch.Call(ctx, aids, c.max, c.rpc.BatchGetStats,
		func(ids []int64) *statv1.BatchGetStatsRequest { return &statv1.BatchGetStatsRequest{Aids: ids} },
		(*statv1.BatchGetStatsResponse).GetStats)
}
