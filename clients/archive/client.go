// Package archive is the typed client of archive.v1.ArchiveService.
package archive

import (
	"context"

	"google.golang.org/grpc"

	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/batch"
	"mosaic/clients/cache"
)

// Client reads archives in batches of at most max aids a call, through a
// cache once Cache has put one in front, and lists an owner's archives.
// Values read through a cache are shared between requests: callers must
// not modify them.
type Client struct {
	rpc archivev1.ArchiveServiceClient
	cache.ByID[int64, *archivev1.Archive]
}

// New returns a Client over cc, with no cache; max is the service's batch
// limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	rpc := archivev1.NewArchiveServiceClient(cc)
	return &Client{rpc, cache.NewByID(batch.Reader(max, rpc.BatchGetArchives,
		func(ids []int64) *archivev1.BatchGetArchivesRequest {
			return &archivev1.BatchGetArchivesRequest{Aids: ids}
		},
		(*archivev1.BatchGetArchivesResponse).GetArchives))}
}

// Archives returns the archives among aids that exist, hidden ones included:
// whether to show a hidden archive is the caller's decision.
func (c *Client) Archives(ctx context.Context, aids []int64) (map[int64]*archivev1.Archive, error) {
	return c.Read(ctx, aids)
}

// ListByOwner returns one page of mid's archive IDs, newest first, and how
// many archives mid has in all.
func (c *Client) ListByOwner(ctx context.Context, mid int64, page, ps int) ([]int64, int64, error) {
	resp, err := c.rpc.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: mid, Page: int32(page), Ps: int32(ps)})
	return resp.GetAids(), resp.GetTotal(), err
}
