// Package account is the typed client of account.v1.AccountService.
package account

import (
	"context"

	"google.golang.org/grpc"

	accountv1 "mosaic/clients/account/v1"
	"mosaic/clients/batch"
)

// Client reads profiles in batches.
type Client struct {
	rpc accountv1.AccountServiceClient
}

// New returns a Client over cc.
func New(cc grpc.ClientConnInterface) *Client {
	return &Client{rpc: accountv1.NewAccountServiceClient(cc)}
}

// Profiles returns the profiles of the accounts among mids that exist.
func (c *Client) Profiles(ctx context.Context, mids []int64) (map[int64]*accountv1.Profile, error) {
	return batch.Fetch(ctx, mids, batch.MaxBatch, func(ctx context.Context, ids []int64) (map[int64]*accountv1.Profile, error) {
		resp, err := c.rpc.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: ids})
		return resp.GetProfiles(), err
	})
}
