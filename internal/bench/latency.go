package bench

import (
	"context"
	"fmt"
	"time"

	"mosaic/clients"
	"mosaic/internal/bench/child"
	"mosaic/internal/bench/load"
	"mosaic/internal/bench/reference"
)

// latencyPass: for each implementation and scene, saturation, then the open
// loop at a fraction of it.
func (b *bencher) latencyPass(ctx context.Context) error {
	hop, err := load.HopLatency(ctx, b.cluster.Addr(clients.Stat), b.ds.VisibleAids()[:20], 200)
	if err != nil {
		return err
	}
	b.rep.HopP50ms = load.Ms(hop)
	fmt.Fprintf(b.stderr, "  one downstream call from a bare gRPC client: p50 %.2fms\n", b.rep.HopP50ms)
	for _, impl := range b.cfg.Impls {
		if err := b.latencyOf(ctx, b.children[impl]); err != nil {
			return err
		}
		if err := b.alive(); err != nil {
			return err
		}
		b.transport.CloseIdleConnections()
	}
	return nil
}

func (b *bencher) latencyOf(ctx context.Context, c *child.Child) error {
	for _, scene := range b.cfg.Scenes {
		t := b.target(c, scene, reference.Device, b.cfg.LoadPS)
		r := b.rep.get(c.Name, scene)
		load.ClosedLoop(ctx, b.client, t, b.cfg.Concurrency, b.cfg.Warmup)
		idle := load.Sequential(ctx, b.client, t, 3, 400*time.Millisecond)
		r.note(idle)
		p50, _, _ := load.Percentiles(idle.Latencies)
		r.IdleP50ms = load.Ms(p50)
		sat := load.ClosedLoop(ctx, b.client, t, b.cfg.Concurrency, b.cfg.Duration)
		r.note(sat)
		r.SatRPSLatency = sat.RPS()
		if sat.OK == 0 {
			return fmt.Errorf("%s %s: no successful request at saturation: %s", c.Name, scene, sat.FirstErr)
		}
		rate := b.cfg.Fraction * r.SatRPSLatency
		open := load.OpenLoop(ctx, b.client, t, rate, b.cfg.OpenDur)
		r.note(open)
		r.OpenRPS, r.OpenRequests = rate, open.OK+open.Errors
		p50, p99, p999 := load.Percentiles(open.Latencies)
		r.P50ms, r.P99ms, r.P999ms = load.Ms(p50), load.Ms(p99), load.Ms(p999)
		r.SendLagMs = load.Ms(open.SendLag)
		fmt.Fprintf(b.stderr, "  %-6s %-5s idle p50 %.1fms; saturation %7.0f req/s; at %.0f req/s p50 %.1fms p99 %.1fms p99.9 %.1fms\n",
			c.Name, scene, r.IdleP50ms, r.SatRPSLatency, rate, r.P50ms, r.P99ms, r.P999ms)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}
