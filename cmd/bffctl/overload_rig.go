package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mosaic/clients"
	"mosaic/mocks/dataset"
)

// pinning says where the rig's processes run.
type pinning struct {
	taskset         string // its path; "" when not pinning
	bffCPU, loadCPU string
	Note            string `json:"note"`
}

// choosePinning pins with taskset when asked, found, and there are two
// CPUs to split; otherwise it says why not, for the report.
func choosePinning(want bool, bffCPU, loadCPU string, lookPath func(string) (string, error), ncpu int) pinning {
	switch path, err := lookPath("taskset"); {
	case !want:
		return pinning{Note: "unpinned (-pin=false): the BFF, mocksvc and the load generator share every CPU"}
	case err != nil:
		return pinning{Note: "UNPINNED: taskset not found (apt-get install util-linux); the BFF, mocksvc and the load generator share every CPU"}
	case ncpu < 2:
		return pinning{Note: fmt.Sprintf("UNPINNED: only %d CPU available; the BFF, mocksvc and the load generator share it", ncpu)}
	default:
		return pinning{taskset: path, bffCPU: bffCPU, loadCPU: loadCPU,
			Note: fmt.Sprintf("BFF on CPU %s; mocksvc and the load generator on CPU %s (taskset)", bffCPU, loadCPU)}
	}
}

// command runs path on cpu when pinning.
func (p pinning) command(cpu, path string, args []string) (string, []string) {
	if p.taskset == "" {
		return path, args
	}
	return p.taskset, append([]string{"-c", cpu, path}, args...)
}

// rig is the processes of one overload run: mocksvc, the BFF over it, and
// the binary whose overload-attack subcommand generates the load.
type rig struct {
	cfg        overloadConfig
	stderr     io.Writer
	client     *http.Client
	transport  *http.Transport
	pin        pinning
	tmp        string
	self       string
	mocks, bff *child
	quota      *cpuQuota
	url        string
	header     http.Header
}

func startRig(ctx context.Context, cfg overloadConfig, stderr io.Writer) (*rig, error) {
	transport := &http.Transport{MaxIdleConnsPerHost: 4}
	r := &rig{cfg: cfg, stderr: stderr, transport: transport, client: &http.Client{Transport: transport, Timeout: 10 * time.Second}}
	fail := func(err error) (*rig, error) { return nil, errors.Join(err, r.stop()) }
	var err error
	if r.tmp, err = os.MkdirTemp("", "mosaic-overload-"); err != nil {
		return nil, err
	}
	bffPath, mocksPath, err := buildOverloadBinaries(ctx, cfg, r.tmp, stderr)
	if err != nil {
		return fail(err)
	}
	if r.self = cfg.selfBin; r.self == "" {
		if r.self, err = os.Executable(); err != nil {
			return fail(fmt.Errorf("finding bffctl's own binary to run the load generator: %w", err))
		}
	}
	r.pin = choosePinning(cfg.pin, cfg.bffCPU, cfg.loadCPU, exec.LookPath, runtime.NumCPU())
	fmt.Fprintf(stderr, "overload: %s\n", r.pin.Note)

	path, args := r.pin.command(cfg.loadCPU, mocksPath, []string{"-addr", "127.0.0.1:0", "-classic", "-latency", cfg.latency.String(), "-seed", strconv.FormatInt(cfg.seed, 10)})
	if r.mocks, err = startChild(ctx, r.client, "mocksvc", path, args, mocksvcAnnouncement, func(*child) string { return "" }); err != nil {
		return fail(err)
	}
	args = []string{
		"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-scene-deadline", cfg.deadline.String(),
		// Viewer 42 must be honored, as behind the real edge.
		"-trusted-proxies", "127.0.0.1/32",
	}
	for _, svc := range clients.Services() {
		args = append(args, "-"+svc+"-target", "static:///"+r.mocks.base)
	}
	path, args = r.pin.command(cfg.bffCPU, bffPath, append(args, cfg.bffFlags...))
	if r.bff, err = startChild(ctx, r.client, "bff", path, args, mosaicAnnouncement, func(c *child) string { return c.admin + "/readyz" }); err != nil {
		return fail(err)
	}
	if cfg.bffShare > 0 {
		if r.quota, err = limitCPU("/sys/fs/cgroup", r.bff.cmd.Process.Pid, cfg.bffShare); err != nil {
			return fail(err)
		}
		r.pin.Note += fmt.Sprintf("; the BFF held to %.0f%% of its CPU (cgroup quota)", 100*cfg.bffShare)
	}
	if r.url, err = r.targetURL(); err != nil {
		return fail(err)
	}
	r.header = http.Header{}
	r.header.Set("X-User-Id", strconv.Itoa(benchViewer))
	r.header.Set("X-Network", "wifi")
	r.header.Set("Accept-Language", "zh-CN")
	return r, nil
}

// targetURL is the loaded request; the video and user scenes ask for the
// same entities as the bench.
func (r *rig) targetURL() (string, error) {
	q := ""
	if r.cfg.ps > 0 {
		q = "?ps=" + strconv.Itoa(r.cfg.ps)
	}
	base := r.bff.base + "/" + r.cfg.device
	if r.cfg.scene == sceneFeed {
		return base + "/v1/feed" + q, nil
	}
	aid, mid, err := pickEntities(dataset.New(r.cfg.seed, dataset.Classic()))
	if err != nil {
		return "", err
	}
	if r.cfg.scene == sceneVideo {
		return fmt.Sprintf("%s/v1/videos/%d", base, aid), nil
	}
	return fmt.Sprintf("%s/v1/users/%d%s", base, mid, q), nil
}

// mocksvcAnnouncement parses "mocksvc serving stat,... on 127.0.0.1:N (seed 1)".
func mocksvcAnnouncement(c *child) func(string) bool {
	return func(line string) bool {
		_, rest, ok := strings.Cut(line, " on ")
		if !ok || !strings.HasPrefix(line, "mocksvc serving ") {
			return false
		}
		c.base, _, _ = strings.Cut(rest, " ")
		return c.base != ""
	}
}

// buildOverloadBinaries returns the given cmd/bff and cmd/mocksvc, or
// builds the missing ones from the module in the working directory.
func buildOverloadBinaries(ctx context.Context, cfg overloadConfig, tmp string, stderr io.Writer) (bff, mocksvc string, err error) {
	bff, mocksvc = cfg.bffBin, cfg.mocksBin
	var pkgs []string
	if bff == "" {
		bff, pkgs = filepath.Join(tmp, "bff"), append(pkgs, "./cmd/bff")
	}
	if mocksvc == "" {
		mocksvc, pkgs = filepath.Join(tmp, "mocksvc"), append(pkgs, "./cmd/mocksvc")
	}
	if len(pkgs) == 0 {
		return bff, mocksvc, nil
	}
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(gomod))
	if err != nil || mod == "" || mod == os.DevNull {
		return "", "", fmt.Errorf("not inside the mosaic module (go env GOMOD: %v): run from it, or give -bff-binary and -mocksvc-binary", err)
	}
	fmt.Fprintf(stderr, "overload: go build %s\n", strings.Join(pkgs, " "))
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", tmp + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = filepath.Dir(mod)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("building %s in %s: %w", strings.Join(pkgs, " "), cmd.Dir, err)
	}
	return bff, mocksvc, nil
}

// stop ends the BFF, then the mocks, and removes the built binaries.
func (r *rig) stop() error {
	var err error
	r.transport.CloseIdleConnections()
	for _, c := range []*child{r.bff, r.mocks} {
		if c != nil {
			err = errors.Join(err, c.stop())
		}
	}
	err = errors.Join(err, r.quota.remove())
	if r.tmp != "" {
		err = errors.Join(err, os.RemoveAll(r.tmp))
	}
	return err
}

func (r *rig) pids() map[string]int {
	return map[string]int{"bff": r.bff.cmd.Process.Pid, "mocksvc": r.mocks.cmd.Process.Pid}
}

// spec is a phase of load on the rig's target.
func (r *rig) spec(rate float64, workers int, d time.Duration) attackSpec {
	return attackSpec{url: r.url, header: r.header, rate: rate, workers: workers, duration: d, timeout: r.cfg.timeout}
}

// attack runs one phase in a generator child pinned with the mocks, and
// returns its summary and the CPU time it used.
func (r *rig) attack(ctx context.Context, s attackSpec) (attackSummary, time.Duration, error) {
	path, args := r.pin.command(r.cfg.loadCPU, r.self, append([]string{"overload-attack"}, s.args()...))
	cmd := exec.CommandContext(ctx, path, args...)
	var out bytes.Buffer
	tail := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = &out, tail
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	setDeathSignal(cmd)
	if err := cmd.Run(); err != nil {
		return attackSummary{}, 0, fmt.Errorf("load generator: %w\n%s", err, indent(tail.String()))
	}
	var sum attackSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		return attackSummary{}, 0, fmt.Errorf("load generator's summary: %w", err)
	}
	return sum, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// waitIdle waits, at most limit, until the BFF has no scene request in
// flight, so that a phase's counters are complete and the next phase does
// not start behind the previous one's backlog.
func (r *rig) waitIdle(ctx context.Context, limit time.Duration) {
	end := time.Now().Add(limit)
	for time.Now().Before(end) && ctx.Err() == nil {
		s, err := scrapeSeries(ctx, r.client, r.bff)
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
	sleepCtx(ctx, r.cfg.settle)
}

// probe runs closed loops of increasing size; the saturation is the best
// 200/s any reached. It stops once goodput fell 10% below the best: past
// the knee, more workers only queue.
func (r *rig) probe(ctx context.Context) ([]probeStep, float64, error) {
	var (
		steps []probeStep
		best  float64
	)
	for i, w := range r.cfg.probe {
		if i > 0 && steps[i-1].Summary.OK < steps[i-1].Summary.Sent {
			r.settle(ctx) // failures may have opened breakers
		}
		sum, _, err := r.attack(ctx, r.spec(0, w, r.cfg.probeDur))
		if err != nil {
			return steps, best, err
		}
		g := sum.goodput()
		steps = append(steps, probeStep{Workers: w, Goodput: g, Summary: sum})
		fmt.Fprintf(r.stderr, "  probe %4d workers: %6.0f 200/s, p50 %.1fms p99 %.1fms, %d of %d not 200\n", w, g, sum.P50ms, sum.P99ms, sum.Sent-sum.OK, sum.Sent)
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

// phase offers mult × sat requests per second for the configured duration.
func (r *rig) phase(ctx context.Context, mult, sat float64) (overloadPhase, error) {
	r.settle(ctx)
	before, err := scrapeSeries(ctx, r.client, r.bff)
	if err != nil {
		return overloadPhase{}, err
	}
	c0 := takeCPUSnapshot(r.pids())
	sum, genCPU, err := r.attack(ctx, r.spec(mult*sat, 0, r.cfg.duration))
	if err != nil {
		return overloadPhase{}, err
	}
	c1 := takeCPUSnapshot(r.pids())
	r.waitIdle(ctx, r.cfg.timeout+r.cfg.deadline)
	after, err := scrapeSeries(ctx, r.client, r.bff)
	if err != nil {
		return overloadPhase{}, err
	}
	u := usageBetween(c0, c1)
	if wall := c1.at.Sub(c0.at).Seconds(); wall > 0 {
		u.Procs["generator"] = 100 * genCPU.Seconds() / wall
	}
	return overloadPhase{Mult: mult, Summary: sum, Goodput: sum.goodput(), Server: diffSeries(before, after), CPU: u}, nil
}

// measure warms the BFF up, finds the saturation, and runs every phase.
func (r *rig) measure(ctx context.Context) (*overloadReport, error) {
	rep := &overloadReport{
		Machine: machine(), LoadAvgStart: loadAvg(), Pinning: r.pin.Note, URL: r.url, Scene: r.cfg.scene, Device: r.cfg.device,
		MockLatency: r.cfg.latency.String(), Deadline: r.cfg.deadline.String(), PhaseDuration: r.cfg.duration.String(),
		Timeout:  r.cfg.timeout.String(),
		BFFFlags: strings.Join(r.cfg.bffFlags, " "), deadline: r.cfg.deadline,
	}
	fmt.Fprintf(r.stderr, "overload: %s; %s\n", rep.Machine, r.url)
	if _, _, err := r.attack(ctx, r.spec(0, r.cfg.probe[0], min(time.Second, r.cfg.probeDur))); err != nil {
		return nil, err // the warm-up: connections, pools, caches
	}
	sat := r.cfg.saturation
	if sat == 0 {
		var err error
		if rep.Probe, sat, err = r.probe(ctx); err != nil {
			return rep, err
		}
	}
	rep.Saturation = sat
	defer func() { rep.LoadAvgEnd = loadAvg() }()
	for _, m := range r.cfg.loads {
		ph, err := r.phase(ctx, m, sat)
		if err != nil {
			return rep, err
		}
		rep.Phases = append(rep.Phases, ph)
		s := ph.Summary
		fmt.Fprintf(r.stderr, "  %4gx %6.0f req/s: %6.0f 200/s, p50 %.1fms p99 %.1fms; shed %d, scene 503 %d, 504 %d, other %d; breaker events %d\n",
			m, s.Rate, ph.Goodput, s.P50ms, s.P99ms, s.Shed, s.Scene503, s.GW504, s.Other, ph.Server.breakerEvents())
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
