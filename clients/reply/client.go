// Package reply is the typed client of reply.v1.ReplyService.
package reply

import (
	"context"

	"google.golang.org/grpc"

	"mosaic/clients/batch"
	replyv1 "mosaic/clients/reply/v1"
)

// Client reads hot replies in batches.
type Client struct{ rpc replyv1.ReplyServiceClient }

// New returns a Client over cc.
func New(cc grpc.ClientConnInterface) *Client {
	return &Client{rpc: replyv1.NewReplyServiceClient(cc)}
}

// HotReplies returns up to n hot replies for each archive among aids.
func (c *Client) HotReplies(ctx context.Context, aids []int64, n int) (map[int64][]*replyv1.Reply, error) {
	return batch.Fetch(ctx, aids, batch.MaxBatch, func(ctx context.Context, ids []int64) (map[int64][]*replyv1.Reply, error) {
		resp, err := c.rpc.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: ids, N: int32(n)})
		if err != nil {
			return nil, err
		}
		out := make(map[int64][]*replyv1.Reply, len(resp.GetReplies()))
		for aid, r := range resp.GetReplies() {
			out[aid] = r.GetReplies()
		}
		return out, nil
	})
}
