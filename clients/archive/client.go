// Package archive is the typed client of archive.v1.ArchiveService.
package archive

import (
	"context"

	"google.golang.org/grpc"

	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/batch"
	"mosaic/clients/cache"
)

// Client reads archives in batches of at most max aids a call, and lists
// an owner's archives.
// Values read through a cache are shared between requests: callers must
// not modify them.
type Client struct {
	rpc archivev1.ArchiveServiceClient
	max int
	*cache.Loader[int64, *archivev1.Archive]
}

// New returns a Client over cc, with no cache; max is the service's batch
// limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	c := &Client{rpc: archivev1.NewArchiveServiceClient(cc), max: max}
	c.Loader = cache.PassThrough(c.fetch)
	return c
}

// Archives returns the archives among aids that exist, hidden ones included:
// whether to show a hidden archive is the caller's decision.
func (c *Client) Archives(ctx context.Context, aids []int64) (map[int64]*archivev1.Archive, error) {
	return c.Read(ctx, aids)
}

// Cache puts a cache of opts in front of Archives, named name in the metrics;
// call it before the client is used. close waits for the cache's
// background calls to end.
func (c *Client) Cache(name string, opts cache.Options) (close func(), err error) {
	l, err := cache.New(name, c.fetch, opts)
	if err != nil {
		return nil, err
	}
	c.Loader = l
	return l.Close, nil
}

// fetch is the uncached read.
func (c *Client) fetch(ctx context.Context, aids []int64) (map[int64]*archivev1.Archive, error) {
	return batch.Call(ctx, aids, c.max, c.rpc.BatchGetArchives,
		func(ids []int64) *archivev1.BatchGetArchivesRequest {
			return &archivev1.BatchGetArchivesRequest{Aids: ids}
		},
		(*archivev1.BatchGetArchivesResponse).GetArchives)
}

// ListByOwner returns one page of mid's archive IDs, newest first, and how
// many archives mid has in all.
func (c *Client) ListByOwner(ctx context.Context, mid int64, page, ps int) ([]int64, int64, error) {
	resp, err := c.rpc.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: mid, Page: int32(page), Ps: int32(ps)})
	return resp.GetAids(), resp.GetTotal(), err
}
