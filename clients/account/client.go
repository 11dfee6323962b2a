// Package account is the typed client of account.v1.AccountService.
package account

import (
	"context"

	"google.golang.org/grpc"

	accountv1 "mosaic/clients/account/v1"
	"mosaic/clients/batch"
)

// Client reads profiles in batches of at most max mids a call.
type Client struct {
	rpc accountv1.AccountServiceClient
	max int
}

// New returns a Client over cc; max is the service's batch limit.
func New(cc grpc.ClientConnInterface, max int) *Client {
	return &Client{rpc: accountv1.NewAccountServiceClient(cc), max: max}
}

// Profiles returns the profiles of the accounts among mids that exist.
func (c *Client) Profiles(ctx context.Context, mids []int64) (map[int64]*accountv1.Profile, error) {
	return batch.Call(ctx, mids, c.max, c.rpc.BatchGetProfiles,
		func(ids []int64) *accountv1.BatchGetProfilesRequest {
			return &accountv1.BatchGetProfilesRequest{Mids: ids}
		},
		(*accountv1.BatchGetProfilesResponse).GetProfiles)
}
