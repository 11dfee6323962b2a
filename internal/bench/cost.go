package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"mosaic/internal/bench/child"
	"mosaic/internal/bench/load"
	"mosaic/internal/bench/reference"
	"mosaic/internal/bench/workload"
)

// costAcc adds up one implementation's saturation rounds on one scene.
type costAcc struct {
	requests, calls int
	cpu, mallocs    float64
}

// costPass: calls per request and bytes per device for each implementation,
// then for each scene the saturation phases, interleaved across the
// implementations for -rounds rounds so that noise from a shared machine
// hits them alike; throughput is the best round's, CPU time and allocations
// per request are over all rounds.
func (b *bencher) costPass(ctx context.Context) error {
	for _, impl := range b.cfg.Impls {
		if err := b.shapes(ctx, b.children[impl]); err != nil {
			return err
		}
	}
	for _, scene := range b.cfg.Scenes {
		if err := b.costOf(ctx, scene); err != nil {
			return err
		}
		if scene == b.cfg.Scenes[0] && b.cfg.Profile != "" {
			if err := b.profiles(ctx, scene); err != nil {
				return err
			}
		}
	}
	return nil
}

// costOf runs the rounds on one scene and sets the per-request costs.
func (b *bencher) costOf(ctx context.Context, scene string) error {
	accs := map[string]*costAcc{}
	for _, impl := range b.cfg.Impls {
		accs[impl] = &costAcc{}
	}
	for round := range b.cfg.Rounds {
		for _, impl := range b.cfg.Impls {
			if err := b.round(ctx, b.children[impl], scene, round, accs[impl]); err != nil {
				return err
			}
		}
	}
	for impl, a := range accs {
		if a.requests == 0 {
			continue
		}
		r := b.rep.get(impl, scene)
		n := float64(a.requests)
		r.CPUmsPerReq, r.AllocsPerReq, r.LoadCallsPerReq = a.cpu*1000/n, a.mallocs/n, float64(a.calls)/n
	}
	return nil
}

// round is one saturation phase of c on scene, its CPU time and
// allocations read from c's /metrics before and after.
func (b *bencher) round(ctx context.Context, c *child.Child, scene string, round int, a *costAcc) error {
	r := b.rep.get(c.Name, scene)
	t := b.target(c, scene, reference.Device, b.cfg.LoadPS)
	load.ClosedLoop(ctx, b.client, t, b.cfg.Concurrency, b.cfg.Warmup)
	before, err := child.Scrape(ctx, b.client, c, parseProcStats)
	if err != nil {
		return err
	}
	b.rec.Reset()
	sat := load.ClosedLoop(ctx, b.client, t, b.cfg.Concurrency, b.cfg.Duration)
	after, err := child.Scrape(ctx, b.client, c, parseProcStats)
	if err != nil {
		return err
	}
	calls := len(b.rec.Calls())
	b.rec.Reset()
	b.transport.CloseIdleConnections()
	r.note(sat)
	n := sat.OK + sat.Errors
	cpu, mallocs := after.cpuSeconds-before.cpuSeconds, after.mallocs-before.mallocs
	a.requests, a.calls, a.cpu, a.mallocs = a.requests+n, a.calls+calls, a.cpu+cpu, a.mallocs+mallocs
	r.SatRPS = max(r.SatRPS, sat.RPS())
	r.RoundRPS = append(r.RoundRPS, sat.RPS())
	fmt.Fprintf(b.stderr, "  %-6s %-5s round %d: %7.0f req/s, %.3f CPU ms/req, %.0f allocs/req\n", c.Name, scene, round+1, sat.RPS(),
		cpu*1000/float64(max(n, 1)), mallocs/float64(max(n, 1)))
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.alive()
}

// callsPerRequest sends n requests one at a time and counts the downstream
// calls they made.
func (b *bencher) callsPerRequest(ctx context.Context, t load.Target, n int) (float64, error) {
	b.rec.Reset()
	for range n {
		if _, err := load.Do(ctx, b.client, t); err != nil {
			return 0, err
		}
	}
	return float64(len(b.rec.Calls())) / float64(n), nil
}

// shapes counts the downstream calls of one request of each scene at each
// page size, and the bytes each device receives (the reference BFFs serve
// one shape whatever the device: only the web's is read).
func (b *bencher) shapes(ctx context.Context, c *child.Child) error {
	devices := []string{reference.Device}
	if c.Name == Mosaic {
		devices = workload.Devices()
	}
	for _, scene := range b.cfg.Scenes {
		r := b.rep.get(c.Name, scene)
		if err := b.callsOf(ctx, c, r); err != nil {
			return err
		}
		for _, d := range devices {
			n, err := load.Do(ctx, b.client, b.target(c, scene, d, b.cfg.LoadPS))
			if err != nil {
				return fmt.Errorf("%s %s on %s: %w", c.Name, scene, d, err)
			}
			r.Bytes[d] = int(n)
		}
	}
	return nil
}

// callsOf counts r's scene's calls per request at each page size, or once
// for a scene without one.
func (b *bencher) callsOf(ctx context.Context, c *child.Child, r *Result) error {
	sizes := b.cfg.PS
	if s, _ := workload.Lookup(r.Scene); !s.Paged {
		sizes = []int{0}
	}
	for _, ps := range sizes {
		calls, err := b.callsPerRequest(ctx, b.target(c, r.Scene, reference.Device, max(ps, 1)), 3)
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.Name, r.Scene, err)
		}
		key := "-"
		if ps > 0 {
			key = strconv.Itoa(ps)
		}
		r.CallsPerReq[key] = calls
	}
	return nil
}

// profiles takes the CPU profiles of mosaic and the floor on scene.
func (b *bencher) profiles(ctx context.Context, scene string) error {
	for _, impl := range []string{Mosaic, Floor} {
		if c := b.children[impl]; c != nil {
			if err := b.profile(ctx, c, b.target(c, scene, reference.Device, b.cfg.LoadPS), c.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// profile takes a 5s CPU profile of c while saturating it with src, and
// writes it to the profile directory as name.cpu.pprof.
func (b *bencher) profile(ctx context.Context, c *child.Child, src load.Source, name string) error {
	const secs = 5
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loadDone := make(chan struct{})
	go func() {
		load.ClosedLoop(lctx, b.client, src, b.cfg.Concurrency, secs*time.Second+500*time.Millisecond)
		close(loadDone)
	}()
	defer func() { cancel(); <-loadDone; b.rec.Reset() }()
	time.Sleep(200 * time.Millisecond)
	base := c.Admin
	if base == "" {
		base = c.Base // bench-serve children serve pprof on their one listener
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: b.transport, Timeout: (secs + 10) * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("%s CPU profile: %w", c.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s CPU profile: status %d, %v", c.Name, resp.StatusCode, err)
	}
	path := filepath.Join(b.cfg.Profile, name+".cpu.pprof")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return err
	}
	if name == Mosaic {
		b.profiled = path
	}
	fmt.Fprintf(b.stderr, "  wrote %s\n", path)
	return nil
}
