package load

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	statv1 "mosaic/clients/stat/v1"
)

// HopLatency is the median of n sequential BatchGetStats calls to addr from
// a bare gRPC client: the least one step of a scene's chain can cost on
// this machine, mock latency, timer slack and the loopback round trip
// included, with no BFF at all.
func HopLatency(ctx context.Context, addr string, aids []int64, n int) (time.Duration, error) {
	cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, err
	}
	defer cc.Close()
	stat := statv1.NewStatServiceClient(cc)
	req := &statv1.BatchGetStatsRequest{Aids: aids}
	if _, err := stat.BatchGetStats(ctx, req); err != nil { // connect outside the measure
		return 0, fmt.Errorf("hop: %w", err)
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := stat.BatchGetStats(ctx, req); err != nil {
			return 0, fmt.Errorf("hop: %w", err)
		}
		lat = append(lat, time.Since(start))
	}
	p50, _, _ := Percentiles(lat)
	return p50, nil
}
