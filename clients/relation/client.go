// Package relation is the typed client of relation.v1.RelationService.
package relation

import (
	"context"

	"google.golang.org/grpc"

	"mosaic/clients/batch"
	relationv1 "mosaic/clients/relation/v1"
)

// Client reads the follow graph in batches.
type Client struct {
	rpc relationv1.RelationServiceClient
}

// New returns a Client over cc.
func New(cc grpc.ClientConnInterface) *Client {
	return &Client{rpc: relationv1.NewRelationServiceClient(cc)}
}

// Relations returns how viewer relates to each of targets.
func (c *Client) Relations(ctx context.Context, viewer int64, targets []int64) (map[int64]*relationv1.Relation, error) {
	return batch.Fetch(ctx, targets, batch.MaxBatch, func(ctx context.Context, ids []int64) (map[int64]*relationv1.Relation, error) {
		resp, err := c.rpc.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: viewer, TargetMids: ids})
		return resp.GetRelations(), err
	})
}

// FollowerCounts returns the follow counts of the accounts among mids.
func (c *Client) FollowerCounts(ctx context.Context, mids []int64) (map[int64]*relationv1.FollowerCount, error) {
	return batch.Fetch(ctx, mids, batch.MaxBatch, func(ctx context.Context, ids []int64) (map[int64]*relationv1.FollowerCount, error) {
		resp, err := c.rpc.BatchGetFollowerCounts(ctx, &relationv1.BatchGetFollowerCountsRequest{Mids: ids})
		return resp.GetCounts(), err
	})
}
