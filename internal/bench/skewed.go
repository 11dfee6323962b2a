package bench

import (
	"context"
	"fmt"
	"os"
	"time"

	"mosaic/internal/bench/child"
	"mosaic/internal/bench/host"
	"mosaic/internal/bench/load"
	"mosaic/internal/bench/reference"
	"mosaic/internal/bench/workload"
	"mosaic/mocks/dataset"
	"mosaic/mocks/record"
)

// skewMembers are mosaic's variants (when mosaic is measured), then the
// reference BFFs of cfg.Impls.
func (b *bencher) skewMembers() []member {
	var ms []member
	for _, impl := range b.cfg.Impls {
		if impl != Mosaic {
			ms = append(ms, member{name: impl, skewed: true})
			continue
		}
		for _, v := range b.cfg.Variants {
			ms = append(ms, member{name: v.Name, mosaic: true, flags: v.Flags, skewed: true})
		}
	}
	return ms
}

// newSkewReport is the skewed pass's report before it measures.
func newSkewReport(cfg Config, members []member) *SkewReport {
	s := &SkewReport{World: dataset.Skewed(), Latency: cfg.SkewLatency.String(), Viewers: cfg.Viewers, Rounds: cfg.SkewRounds, Variants: cfg.Variants}
	for _, m := range members {
		s.Impls = append(s.Impls, m.name)
	}
	return s
}

// pregenerate makes the mocks generate every archive, stat, profile and
// follower count of ds now (about 2s), so that no implementation's phase
// pays for the entities it happens to meet first.
func pregenerate(ds *dataset.Dataset) {
	cfg := ds.Config()
	for aid := range int64(cfg.Archives) {
		ds.Archive(aid + 1)
		ds.Stat(aid + 1)
	}
	for mid := range int64(cfg.Accounts) {
		ds.Profile(mid + 1)
		ds.FollowerCount(mid + 1)
	}
}

// The phases of the skewed pass, which key the request streams: every
// implementation gets the same requests in the same phase of a round, and
// no phase repeats another's (a warm-up's requests are not measured again).
const (
	phaseSatWarm = iota
	phaseSat
	phaseOpenWarm
	phaseOpen
)

// skewPhase is one measured phase of one implementation on one scene.
type skewPhase struct {
	scene        string
	scenes, kind int // scene's index; phaseSat or phaseOpen
	round        int
	rate         float64 // open loop only
}

func (p skewPhase) key(kind int) uint64 {
	return uint64(p.scenes)<<32 | uint64(p.round)<<8 | uint64(kind)
}

// skewedPass: for each scene, -skewed-rounds saturation rounds interleaved
// across the implementations, then as many open-loop chunks interleaved
// likewise, so that the shared machine's swings hit every implementation
// alike. Calls, IDs and cache reads are counted over every measured
// request; RSS is sampled per scene.
func (b *bencher) skewedPass(ctx context.Context) error {
	s := b.rep.Skewed
	for si, scene := range b.cfg.Scenes {
		b.watchScene(scene)
		lat := map[string][]time.Duration{}
		for round := range b.cfg.SkewRounds {
			for _, impl := range s.Impls {
				if err := b.skewRun(ctx, b.children[impl], skewPhase{scene: scene, scenes: si, kind: phaseSat, round: round}, nil); err != nil {
					return err
				}
			}
		}
		for _, impl := range s.Impls {
			x := s.get(impl, scene)
			x.SatRPS = median(x.RoundRPS)
		}
		if si == 0 && b.cfg.Profile != "" {
			if err := b.skewProfiles(ctx, scene, si); err != nil {
				return err
			}
		}
		ref := s.find(Floor, scene)
		for round := range b.cfg.SkewRounds {
			for _, impl := range s.Impls {
				p := skewPhase{scene: scene, scenes: si, kind: phaseOpen, round: round, rate: openRate(b.cfg.Fraction, s.get(impl, scene), ref)}
				if err := b.skewRun(ctx, b.children[impl], p, lat); err != nil {
					return err
				}
			}
		}
		for _, impl := range s.Impls {
			x := s.get(impl, scene)
			p50, p99, p999 := load.Percentiles(lat[impl])
			x.P50ms, x.P99ms, x.P999ms = load.Ms(p50), load.Ms(p99), load.Ms(p999)
			x.MaxRSSMB = float64(b.rss.Max(skewRSSName(impl, scene))) / (1 << 20)
			calls, shared, other := x.PerScreen()
			fmt.Fprintf(b.stderr, "  %-14s %-5s %7.0f req/s, %.3f CPU ms/screen; at %.0f req/s p50 %.1fms p99 %.1fms; per screen %.2f calls, %.1f shared IDs, %.1f other IDs\n",
				impl, scene, x.SatRPS, x.CPUmsPerScreen(), x.OpenRPS, x.P50ms, x.P99ms, calls, shared, other)
		}
	}
	return nil
}

// skewProfiles takes a CPU profile of each implementation under the
// skewed load of scene, as skewed-<impl>.cpu.pprof.
func (b *bencher) skewProfiles(ctx context.Context, scene string, si int) error {
	const phaseProfile = phaseOpen + 1
	for _, impl := range b.rep.Skewed.Impls {
		c := b.children[impl]
		src := b.skewStream(c, scene, skewPhase{scenes: si}.key(phaseProfile))
		if err := b.profile(ctx, c, src, "skewed-"+impl); err != nil {
			return err
		}
	}
	return nil
}

// openRate is the open loop's rate for x: a fraction of the reference's
// saturation, so that mosaic and the floor are compared at one offered
// load, or of x's own when it saturates lower (naive), so that a slow
// server is measured rather than drowned.
func openRate(fraction float64, x, ref *SkewResult) float64 {
	sat := x.SatRPS
	if ref != nil && ref.SatRPS > 0 {
		sat = min(sat, ref.SatRPS)
	}
	return fraction * sat
}

// skewRSSName is the name a child's RSS is sampled under during a scene.
func skewRSSName(impl, scene string) string { return "skewed " + impl + " " + scene }

// watchScene samples each child's RSS under the scene's name from now on.
func (b *bencher) watchScene(scene string) {
	for impl, c := range b.children {
		b.rss.Unwatch(c.Cmd.Process.Pid)
		b.rss.Watch(skewRSSName(impl, scene), c.Cmd.Process.Pid)
	}
}

// skewStream is the request stream key of scene against c.
func (b *bencher) skewStream(c *child.Child, scene string, key uint64) *load.Stream {
	sc, _ := workload.Lookup(scene)
	return load.NewStream(func(i uint64) load.Target {
		path, viewer := b.skew.Request(sc, reference.Device, b.cfg.LoadPS, key, i)
		return load.Target{URL: c.Base + path, Header: workload.HeaderFor(viewer)}
	})
}

// skewRun warms c up, then runs one measured phase of p and adds what it
// saw to c's result: its requests, the calls the mocks received, the
// cache reads c's /metrics counted, and (open loop) its latencies to lat.
func (b *bencher) skewRun(ctx context.Context, c *child.Child, p skewPhase, lat map[string][]time.Duration) error {
	x := b.rep.Skewed.get(c.Name, p.scene)
	warm := phaseSatWarm
	if p.kind == phaseOpen {
		warm = phaseOpenWarm
	}
	load.ClosedLoop(ctx, b.client, b.skewStream(c, p.scene, p.key(warm)), b.cfg.Concurrency, b.cfg.Warmup)
	before, err := child.Scrape(ctx, b.client, c, parseCacheCounts)
	if err != nil {
		return err
	}
	cpu0, err := child.Scrape(ctx, b.client, c, parseProcStats)
	if err != nil {
		return err
	}
	b.rec.Reset()
	src := b.skewStream(c, p.scene, p.key(p.kind))
	var res load.Result
	if p.kind == phaseOpen {
		res = load.OpenLoop(ctx, b.client, src, p.rate, b.openChunk())
		lat[c.Name] = append(lat[c.Name], res.Latencies...)
		x.OpenRPS, x.OpenRequests = p.rate, x.OpenRequests+res.OK+res.Errors
	} else {
		pids := map[string]int{rigName: os.Getpid()} // the server's own CPU comes from its /metrics
		snap0 := host.TakeCPUSnapshot(pids)
		res = load.ClosedLoop(ctx, b.client, src, b.cfg.Concurrency, b.cfg.Duration)
		snap1 := host.TakeCPUSnapshot(pids)
		x.addMachine(host.UsageBetween(snap0, snap1), snap1.At.Sub(snap0.At))
		x.RoundRPS = append(x.RoundRPS, res.RPS())
		cpu1, err := child.Scrape(ctx, b.client, c, parseProcStats)
		if err != nil {
			return err
		}
		x.SatCPUSeconds += cpu1.cpuSeconds - cpu0.cpuSeconds
		x.SatScreens += res.OK + res.Errors
	}
	after, err := child.Scrape(ctx, b.client, c, parseCacheCounts)
	if err != nil {
		return err
	}
	addTallies(x.Downstream, b.rec.Services())
	b.rec.Reset()
	b.transport.CloseIdleConnections()
	x.Cache.add(after, before)
	x.Screens += res.OK + res.Errors
	x.note(res)
	if res.OK == 0 && p.kind == phaseSat {
		return fmt.Errorf("%s %s: no successful request at saturation: %s", c.Name, p.scene, res.FirstErr)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.alive()
}

// openChunk is each open-loop chunk's length: -open-duration over the
// rounds, so that each implementation is measured that long in all.
func (b *bencher) openChunk() time.Duration {
	return b.cfg.OpenDur / time.Duration(b.cfg.SkewRounds)
}

// addTallies adds add's tallies to into, service by service.
func addTallies(into, add map[string]record.Tally) {
	for svc, t := range add {
		sum := into[svc]
		sum.Calls += t.Calls
		sum.IDs += t.IDs
		into[svc] = sum
	}
}
