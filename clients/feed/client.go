// Package feed is the typed client of feed.v1.FeedService.
package feed

import (
	"context"

	"google.golang.org/grpc"

	feedv1 "mosaic/clients/feed/v1"
)

// Client asks the recommender what to show.
type Client struct{ rpc feedv1.FeedServiceClient }

// New returns a Client over cc.
func New(cc grpc.ClientConnInterface) *Client {
	return &Client{rpc: feedv1.NewFeedServiceClient(cc)}
}

// Recommend returns one page of recommended items for viewer on device.
func (c *Client) Recommend(ctx context.Context, viewer int64, device string, page, ps int) ([]*feedv1.Item, error) {
	resp, err := c.rpc.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: viewer, Device: device, Page: int32(page), Ps: int32(ps)})
	return resp.GetItems(), err
}

// Related returns up to n archive IDs related to aid.
func (c *Client) Related(ctx context.Context, aid int64, n int) ([]int64, error) {
	resp, err := c.rpc.Related(ctx, &feedv1.RelatedRequest{Aid: aid, N: int32(n)})
	return resp.GetAids(), err
}
