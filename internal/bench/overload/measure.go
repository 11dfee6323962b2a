package overload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"mosaic/internal/bench/child"
	"mosaic/internal/bench/host"
)

// spec is a phase of load on the rig's target.
func (r *rig) spec(rate float64, workers int, d time.Duration) attackSpec {
	return attackSpec{url: r.url, header: r.header, rate: rate, workers: workers, duration: d, timeout: r.cfg.Timeout}
}

// attack runs one phase in a generator child pinned with the mocks, and
// returns its summary and the CPU time it used.
func (r *rig) attack(ctx context.Context, s attackSpec) (AttackSummary, time.Duration, error) {
	path, args := r.pin.command(r.cfg.LoadCPU, r.self, append([]string{"overload-attack"}, s.args()...))
	cmd := child.Command(ctx, path, args)
	cmd.Env = generatorEnv(os.Environ())
	var out bytes.Buffer
	tail := &child.TailBuffer{}
	cmd.Stdout, cmd.Stderr = &out, tail
	if err := cmd.Run(); err != nil {
		return AttackSummary{}, 0, fmt.Errorf("load generator: %w\n%s", err, child.Indent(tail.String()))
	}
	var sum AttackSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		return AttackSummary{}, 0, fmt.Errorf("load generator's summary: %w", err)
	}
	return sum, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// generatorGOGC paces the generator's collector. At the default (100) it
// took a sixth of the generator's CPU at 3× (2,700 req/s; pprof), half of
// that scanning the stacks of vegeta's workers and connections, and the
// generator shares its core with the mocks. Its heap is a few MB, so
// collecting eight times less often costs nothing.
const generatorGOGC = "800"

// generatorEnv is the generator child's environment: the bench's own, with
// GOGC at generatorGOGC unless the caller set one.
func generatorEnv(environ []string) []string {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GOGC=") {
			return environ
		}
	}
	return append(slices.Clip(environ), "GOGC="+generatorGOGC)
}

// waitIdle waits, at most limit, until the BFF has no scene request in
// flight, so that a phase's counters are complete and the next phase does
// not start behind the previous one's backlog.
func (r *rig) waitIdle(ctx context.Context, limit time.Duration) {
	end := time.Now().Add(limit)
	for time.Now().Before(end) && ctx.Err() == nil {
		s, err := child.Scrape(ctx, r.client, r.bff, parseSeries)
		if g, ok := s[metricInFlight]; err != nil || !ok || g.value == 0 {
			return // a BFF without the gauge is not waited for
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// settle lets the previous phase's consequences (open breakers, backlog)
// pass before the next.
func (r *rig) settle(ctx context.Context) {
	r.waitIdle(ctx, 10*time.Second)
	sleepCtx(ctx, r.cfg.Settle)
}

// probe runs closed loops of increasing size; the saturation is the best
// screens/s any reached. It stops once goodput fell 10% below the best: past
// the knee, more workers only queue.
func (r *rig) probe(ctx context.Context) ([]ProbeStep, float64, error) {
	var (
		steps []ProbeStep
		best  float64
	)
	for i, w := range r.cfg.Probe {
		if i > 0 && steps[i-1].Summary.OK < steps[i-1].Summary.Sent {
			r.settle(ctx) // failures may have opened breakers
		}
		sum, _, err := r.attack(ctx, r.spec(0, w, r.cfg.ProbeDur))
		if err != nil {
			return steps, best, err
		}
		g := sum.goodput()
		steps = append(steps, ProbeStep{Workers: w, Goodput: g, Summary: sum})
		fmt.Fprintf(r.stderr, "  probe %4d workers: %6.0f screens/s, p50 %.1fms p99 %.1fms, %d of %d not whole\n", w, g, sum.P50ms, sum.P99ms, sum.Sent-sum.OK+sum.Partial, sum.Sent)
		if g > best {
			best = g
		} else if g < 0.9*best {
			break
		}
	}
	if best == 0 {
		return steps, 0, errors.New("no 200 at all while probing for the saturation")
	}
	return steps, best, nil
}

// ramp offers open-loop load at each of cfg.Ramp × closed, the closed-loop
// probe's best, and returns the best screens/s of the probe and the ramp. It
// stops once goodput fell 10% below the best: past the knee.
func (r *rig) ramp(ctx context.Context, closed float64) ([]ProbeStep, float64, error) {
	var steps []ProbeStep
	best := closed
	for _, m := range r.cfg.Ramp {
		r.settle(ctx)
		sum, _, err := r.attack(ctx, r.spec(m*closed, 0, r.cfg.ProbeDur))
		if err != nil {
			return steps, best, err
		}
		g := sum.goodput()
		steps = append(steps, ProbeStep{Offered: m * closed, Goodput: g, Summary: sum})
		fmt.Fprintf(r.stderr, "  ramp %6.0f req/s: %6.0f screens/s, p50 %.1fms p99 %.1fms, %d of %d not whole\n", m*closed, g, sum.P50ms, sum.P99ms, sum.Sent-sum.OK+sum.Partial, sum.Sent)
		if g > best {
			best = g
		} else if g < 0.9*best {
			break
		}
	}
	return steps, best, nil
}

// phase offers mult × sat requests per second for the configured duration.
func (r *rig) phase(ctx context.Context, mult, sat float64) (Phase, error) {
	r.settle(ctx)
	before, err := child.Scrape(ctx, r.client, r.bff, parseSeries)
	if err != nil {
		return Phase{}, err
	}
	c0 := host.TakeCPUSnapshot(r.pids())
	stopSampling := r.sampleGauges(ctx, gaugeEvery)
	sum, genCPU, err := r.attack(ctx, r.spec(mult*sat, 0, r.cfg.Duration))
	limit, inFlight := stopSampling()
	if err != nil {
		return Phase{}, err
	}
	c1 := host.TakeCPUSnapshot(r.pids())
	r.waitIdle(ctx, r.cfg.Timeout+r.cfg.Deadline)
	after, err := child.Scrape(ctx, r.client, r.bff, parseSeries)
	if err != nil {
		return Phase{}, err
	}
	u := host.UsageBetween(c0, c1)
	if wall := c1.At.Sub(c0.At).Seconds(); wall > 0 {
		u.Procs["generator"] = 100 * genCPU.Seconds() / wall
	}
	return Phase{Mult: mult, Summary: sum, Goodput: sum.goodput(), Server: diffSeries(before, after), CPU: u, Limit: limit, InFlight: inFlight}, nil
}

// measure warms the BFF up, finds the saturation, and runs every phase.
func (r *rig) measure(ctx context.Context) (*Report, error) {
	rep := &Report{
		Machine: host.Machine(), LoadAvgStart: host.LoadAvg(), Pinning: r.pin.Note, URL: r.url, Scene: r.cfg.Scene, Device: r.cfg.Device,
		MockLatency: r.cfg.Latency.String(), Deadline: r.cfg.Deadline.String(), PhaseDuration: r.cfg.Duration.String(),
		Timeout:  r.cfg.Timeout.String(),
		BFFFlags: strings.Join(r.cfg.BFFFlags, " "), deadline: r.cfg.Deadline,
	}
	fmt.Fprintf(r.stderr, "overload: %s; %s\n", rep.Machine, r.url)
	if _, _, err := r.attack(ctx, r.spec(0, r.cfg.Probe[0], min(time.Second, r.cfg.ProbeDur))); err != nil {
		return nil, err // the warm-up: connections, pools, caches
	}
	sat := r.cfg.Saturation
	if sat == 0 {
		var err error
		if rep.Probe, sat, err = r.probe(ctx); err != nil {
			return rep, err
		}
		if rep.Ramp, sat, err = r.ramp(ctx, sat); err != nil {
			return rep, err
		}
	}
	rep.Saturation = sat
	defer func() { rep.LoadAvgEnd = host.LoadAvg() }()
	err := runLoads(ctx, rep, r.cfg.Loads, r.cfg.Rounds, func(m float64) (Phase, error) { return r.phase(ctx, m, sat) }, r.stderr)
	return rep, err
}
