// Package stat is the typed client of stat.v1.StatService.
package stat

import (
	"context"

	"google.golang.org/grpc"

	"mosaic/clients/batch"
	statv1 "mosaic/clients/stat/v1"
)

// Client reads archive counters in batches.
type Client struct{ rpc statv1.StatServiceClient }

// New returns a Client over cc.
func New(cc grpc.ClientConnInterface) *Client {
	return &Client{rpc: statv1.NewStatServiceClient(cc)}
}

// Stats returns the counters of the archives among aids that exist.
func (c *Client) Stats(ctx context.Context, aids []int64) (map[int64]*statv1.Stat, error) {
	return batch.Fetch(ctx, aids, batch.MaxBatch, func(ctx context.Context, ids []int64) (map[int64]*statv1.Stat, error) {
		resp, err := c.rpc.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: ids})
		return resp.GetStats(), err
	})
}
