// Package relation is the typed client of relation.v1.RelationService.
package relation

import (
	"context"

	"google.golang.org/grpc"

	"mosaic/clients/batch"
	relationv1 "mosaic/clients/relation/v1"
)

// Client reads the follow graph in batches of at most max mids a call.
type Client struct {
	rpc relationv1.RelationServiceClient
	max int
}

// New returns a Client over cc; max is the service's batch limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	return &Client{rpc: relationv1.NewRelationServiceClient(cc), max: max}
}

// Relations returns how viewer relates to each of targets.
func (c *Client) Relations(ctx context.Context, viewer int64, targets []int64) (map[int64]*relationv1.Relation, error) {
	return batch.Call(ctx, targets, c.max, c.rpc.BatchGetRelations,
		func(ids []int64) *relationv1.BatchGetRelationsRequest {
			return &relationv1.BatchGetRelationsRequest{ViewerMid: viewer, TargetMids: ids}
		},
		(*relationv1.BatchGetRelationsResponse).GetRelations)
}

// FollowerCounts returns the follow counts of the accounts among mids.
func (c *Client) FollowerCounts(ctx context.Context, mids []int64) (map[int64]*relationv1.FollowerCount, error) {
	return batch.Call(ctx, mids, c.max, c.rpc.BatchGetFollowerCounts,
		func(ids []int64) *relationv1.BatchGetFollowerCountsRequest {
			return &relationv1.BatchGetFollowerCountsRequest{Mids: ids}
		},
		(*relationv1.BatchGetFollowerCountsResponse).GetCounts)
}
