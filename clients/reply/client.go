// Package reply is the typed client of reply.v1.ReplyService.
package reply

import (
	"context"

	"google.golang.org/grpc"

	"mosaic/clients/batch"
	replyv1 "mosaic/clients/reply/v1"
)

// Client reads hot replies in batches of at most max aids a call.
type Client struct {
	rpc replyv1.ReplyServiceClient
	max int
}

// New returns a Client over cc; max is the service's batch limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	return &Client{rpc: replyv1.NewReplyServiceClient(cc), max: max}
}

// HotReplies returns up to n hot replies for each archive among aids.
func (c *Client) HotReplies(ctx context.Context, aids []int64, n int) (map[int64][]*replyv1.Reply, error) {
	return batch.Call(ctx, aids, c.max, c.rpc.BatchGetHotReplies,
		func(ids []int64) *replyv1.BatchGetHotRepliesRequest {
			return &replyv1.BatchGetHotRepliesRequest{Aids: ids, N: int32(n)}
		},
		byArchive)
}

// byArchive unwraps the answer's per-archive lists.
func byArchive(resp *replyv1.BatchGetHotRepliesResponse) map[int64][]*replyv1.Reply {
	out := make(map[int64][]*replyv1.Reply, len(resp.GetReplies()))
	for aid, r := range resp.GetReplies() {
		out[aid] = r.GetReplies()
	}
	return out
}
