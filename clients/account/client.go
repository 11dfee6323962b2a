// Package account is the typed client of account.v1.AccountService.
package account

import (
	"context"

	"google.golang.org/grpc"

	accountv1 "mosaic/clients/account/v1"
	"mosaic/clients/batch"
	"mosaic/clients/cache"
)

// Client reads profiles in batches of at most max mids a call, through a
// cache once Cache has put one in front. Values read through a cache are
// shared between requests: callers must not modify them.
type Client struct {
	cache.ByID[int64, *accountv1.Profile]
}

// New returns a Client over cc, with no cache; max is the service's batch
// limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	rpc := accountv1.NewAccountServiceClient(cc)
	return &Client{cache.NewByID(batch.Reader(max, rpc.BatchGetProfiles,
		func(ids []int64) *accountv1.BatchGetProfilesRequest {
			return &accountv1.BatchGetProfilesRequest{Mids: ids}
		},
		(*accountv1.BatchGetProfilesResponse).GetProfiles))}
}

// Profiles returns the profiles of the accounts among mids that exist.
func (c *Client) Profiles(ctx context.Context, mids []int64) (map[int64]*accountv1.Profile, error) {
	return c.Read(ctx, mids)
}
