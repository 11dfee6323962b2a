// Package account is the typed client of account.v1.AccountService.
package account

import (
	"context"

	"google.golang.org/grpc"

	accountv1 "mosaic/clients/account/v1"
	"mosaic/clients/batch"
	"mosaic/clients/cache"
)

// Client reads profiles in batches of at most max mids a call.
// Values read through a cache are shared between requests: callers must
// not modify them.
type Client struct {
	rpc accountv1.AccountServiceClient
	max int
	*cache.Loader[int64, *accountv1.Profile]
}

// New returns a Client over cc, with no cache; max is the service's batch
// limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	c := &Client{rpc: accountv1.NewAccountServiceClient(cc), max: max}
	c.Loader = cache.PassThrough(c.fetch)
	return c
}

// Profiles returns the profiles of the accounts among mids that exist.
func (c *Client) Profiles(ctx context.Context, mids []int64) (map[int64]*accountv1.Profile, error) {
	return c.Read(ctx, mids)
}

// Cache puts a cache of opts in front of Profiles, named name in the metrics;
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
func (c *Client) fetch(ctx context.Context, mids []int64) (map[int64]*accountv1.Profile, error) {
	return batch.Call(ctx, mids, c.max, c.rpc.BatchGetProfiles,
		func(ids []int64) *accountv1.BatchGetProfilesRequest {
			return &accountv1.BatchGetProfilesRequest{Mids: ids}
		},
		(*accountv1.BatchGetProfilesResponse).GetProfiles)
}
