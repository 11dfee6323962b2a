package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic/clients"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
)

// The implementations and scenes the bench knows.
const (
	implMosaic = "mosaic"
	implFloor  = "floor"
	implNaive  = "naive"

	sceneFeed  = "feed"
	sceneVideo = "video"
	sceneUser  = "user"
)

func allImpls() []string  { return []string{implMosaic, implFloor, implNaive} }
func allScenes() []string { return []string{sceneFeed, sceneVideo, sceneUser} }

// benchViewer is the viewer every request is sent for.
const benchViewer = 42

type benchConfig struct {
	latency     time.Duration
	duration    time.Duration
	openDur     time.Duration
	warmup      time.Duration
	concurrency int
	rounds      int
	fraction    float64
	ps          []int
	loadPS      int
	scenes      []string
	impls       []string
	out         string
	seed        int64
	strict      bool
	profile     string
	bffBinary   string
	timeout     time.Duration
}

func parseBench(args []string, stderr io.Writer) (benchConfig, error) {
	var (
		cfg                   benchConfig
		psList, scenes, impls string
	)
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.latency, "mock-latency", 10*time.Millisecond, "latency of every downstream call in the latency pass (the cost pass always uses 0)")
	fs.DurationVar(&cfg.duration, "duration", 1500*time.Millisecond, "length of each closed-loop saturation phase")
	fs.DurationVar(&cfg.openDur, "open-duration", 3*time.Second, "length of each open-loop latency phase")
	fs.DurationVar(&cfg.warmup, "warmup", 300*time.Millisecond, "unmeasured load before each saturation phase")
	fs.IntVar(&cfg.concurrency, "concurrency", 64, "closed-loop workers in the saturation phases")
	fs.IntVar(&cfg.rounds, "rounds", 5, "saturation rounds per scene in the cost pass, interleaved across the implementations (throughput: the best round; ratios: the median of the rounds' ratios)")
	fs.Float64Var(&cfg.fraction, "load-fraction", 0.5, "open-loop rate as a `fraction` of the saturation rate")
	fs.StringVar(&psList, "ps", "10,20,50", "page sizes at which downstream calls per request are counted (feed, user)")
	fs.IntVar(&cfg.loadPS, "load-ps", 20, "page size of the feed and user requests under load")
	fs.StringVar(&scenes, "scenes", strings.Join(allScenes(), ","), "scenes to measure")
	fs.StringVar(&impls, "impls", strings.Join(allImpls(), ","), "implementations to measure: mosaic, floor (batched calls, no framework), naive (N+1 calls)")
	fs.StringVar(&cfg.out, "out", ".", "`directory` for bench.md, bench.json and bench.svg")
	fs.Int64Var(&cfg.seed, "seed", 1, "mock dataset seed")
	fs.BoolVar(&cfg.strict, "strict", false, "exit non-zero when a target of issue 5 is missed")
	fs.StringVar(&cfg.profile, "profile", "", "`directory` to write mosaic.cpu.pprof and floor.cpu.pprof into: 5s CPU profiles under saturation of the first of -scenes, with no downstream latency")
	fs.StringVar(&cfg.bffBinary, "bff-binary", "", "a built cmd/bff to measure (default: go build ./cmd/bff of the module in the working directory)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: bffctl bench [flags]

Measures mosaic against two reference BFFs over the same mock downstreams,
each in a process of its own: floor (the same batched calls with errgroup
and encoding/json, nothing else) and naive (one downstream call per item).

Two passes: with -mock-latency on every downstream call, a closed-loop
saturation phase then an open-loop phase at -load-fraction of it, for the
latency percentiles; with no downstream latency, calls per request, bytes
per device, throughput, CPU and allocations per request. Prints the tables
and the targets of issue 5, writes bench.md, bench.json and bench.svg to
-out. Fails on operational errors (a server not starting, errors in
responses), and on a missed target only with -strict.

flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("bench takes no arguments, got %q", fs.Args())
	}
	var err error
	if cfg.ps, err = parseInts(psList); err != nil {
		return cfg, fmt.Errorf("-ps: %w", err)
	}
	if cfg.scenes, err = parseNames(scenes, allScenes()); err != nil {
		return cfg, fmt.Errorf("-scenes: %w", err)
	}
	if cfg.impls, err = parseNames(impls, allImpls()); err != nil {
		return cfg, fmt.Errorf("-impls: %w", err)
	}
	switch {
	case cfg.latency < 0:
		return cfg, errors.New("-mock-latency must not be negative")
	case cfg.duration <= 0 || cfg.openDur <= 0 || cfg.warmup < 0 || cfg.timeout <= 0:
		return cfg, errors.New("-duration, -open-duration and -timeout must be positive, -warmup not negative")
	case cfg.concurrency < 1 || cfg.rounds < 1:
		return cfg, errors.New("-concurrency and -rounds must be at least 1")
	case cfg.fraction <= 0 || cfg.fraction > 1:
		return cfg, errors.New("-load-fraction must be in (0, 1]")
	case cfg.loadPS < 1 || cfg.loadPS > refMaxPS:
		return cfg, fmt.Errorf("-load-ps must be between 1 and %d", refMaxPS)
	}
	return cfg, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > refMaxPS {
			return nil, fmt.Errorf("%q is not a page size between 1 and %d", f, refMaxPS)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func parseNames(s string, known []string) ([]string, error) {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(known, f) {
			return nil, fmt.Errorf("unknown %q (want some of %s)", f, strings.Join(known, ","))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	// Measure in the canonical order whatever the flag's.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) })
	return out, nil
}

// result is one implementation's numbers on one scene.
type result struct {
	Impl  string `json:"impl"`
	Scene string `json:"scene"`

	// Latency pass (-mock-latency on every downstream call).
	IdleP50ms     float64 `json:"idle_p50_ms"` // one request at a time
	SatRPSLatency float64 `json:"saturation_rps_with_latency"`
	OpenRPS       float64 `json:"open_loop_rps"`
	OpenRequests  int     `json:"open_loop_requests"`
	P50ms         float64 `json:"p50_ms"`
	P99ms         float64 `json:"p99_ms"`
	P999ms        float64 `json:"p999_ms"`
	SendLagMs     float64 `json:"open_loop_send_lag_ms"`

	// Cost pass (no downstream latency).
	SatRPS          float64   `json:"saturation_rps"` // the best round
	RoundRPS        []float64 `json:"round_rps"`      // every round, in order
	CPUmsPerReq     float64   `json:"cpu_ms_per_request"`
	AllocsPerReq    float64   `json:"allocs_per_request"`
	LoadCallsPerReq float64   `json:"downstream_calls_per_request_under_load"`
	// CallsPerReq is keyed by page size ("10", "20"...), or "-" for the
	// video page, which has none.
	CallsPerReq map[string]float64 `json:"downstream_calls_per_request"`
	Bytes       map[string]int     `json:"response_bytes"` // by device
	Requests    int                `json:"requests"`
	Errors      int                `json:"errors"`
	FirstError  string             `json:"first_error,omitempty"`
}

// report is everything a run found.
type report struct {
	Machine     string  `json:"machine"`
	Command     string  `json:"command"`
	Latency     string  `json:"mock_latency"`
	Concurrency int     `json:"concurrency"`
	Duration    string  `json:"saturation_duration"`
	OpenDur     string  `json:"open_loop_duration"`
	Rounds      int     `json:"cost_rounds"`
	Seed        int64   `json:"seed"`
	Fraction    float64 `json:"load_fraction"`
	// HopP50ms is one downstream call (mock latency included) from a bare
	// gRPC client, one at a time: what a step of a chain costs at least.
	HopP50ms    float64            `json:"hop_p50_ms"`
	LoadPS      int                `json:"load_ps"`
	PS          []int              `json:"ps"`
	Video       int64              `json:"video_aid"`
	User        int64              `json:"user_mid"`
	Results     []*result          `json:"results"`
	MaxRSSMB    map[string]float64 `json:"max_rss_mb"`
	Targets     []target           `json:"targets"`
	WallSeconds float64            `json:"wall_seconds"`

	cfg benchConfig
}

func (r *report) get(impl, scene string) *result {
	for _, x := range r.Results {
		if x.Impl == impl && x.Scene == scene {
			return x
		}
	}
	x := &result{Impl: impl, Scene: scene, CallsPerReq: map[string]float64{}, Bytes: map[string]int{}}
	r.Results = append(r.Results, x)
	return x
}

// find returns the result or nil.
func (r *report) find(impl, scene string) *result {
	for _, x := range r.Results {
		if x.Impl == impl && x.Scene == scene {
			return x
		}
	}
	return nil
}

// bench is the bench subcommand.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseBench(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	began := time.Now()
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	if cfg.profile != "" {
		if err := os.MkdirAll(cfg.profile, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "mosaic-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	b := &bencher{cfg: cfg, stderr: stderr, rss: newRSSSampler()}
	if slices.Contains(cfg.impls, implMosaic) {
		if b.bffPath, err = buildBFF(ctx, cfg.bffBinary, tmp, stderr); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(cfg.impls, func(s string) bool { return s != implMosaic }) {
		if b.self, err = os.Executable(); err != nil {
			return fmt.Errorf("finding bffctl's own binary to run floor and naive: %w", err)
		}
	}
	b.ds = dataset.New(cfg.seed, dataset.Classic())
	if b.aid, b.mid, err = pickEntities(b.ds); err != nil {
		return err
	}
	transport := &http.Transport{
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	b.client = &http.Client{Transport: transport, Timeout: cfg.timeout}
	b.transport = transport

	rctx, stopRSS := context.WithCancel(ctx)
	rssDone := make(chan struct{})
	go func() { b.rss.run(rctx, 100*time.Millisecond); close(rssDone) }()
	defer func() { stopRSS(); <-rssDone }()

	b.rep = &report{
		Machine: machine(), Command: strings.TrimSpace("go run ./cmd/bffctl bench " + strings.Join(args, " ")),
		Latency: cfg.latency.String(), Concurrency: cfg.concurrency, Fraction: cfg.fraction,
		Duration: cfg.duration.String(), OpenDur: cfg.openDur.String(), Rounds: cfg.rounds, Seed: cfg.seed,
		LoadPS: cfg.loadPS, PS: cfg.ps, Video: b.aid, User: b.mid, MaxRSSMB: map[string]float64{}, cfg: cfg,
	}
	fmt.Fprintf(stderr, "bench: %s; video %d, user %d, viewer %d\n", b.rep.Machine, b.aid, b.mid, benchViewer)

	opErr := b.pass(ctx, cfg.latency, b.latencyPass)
	if opErr == nil {
		opErr = b.pass(ctx, 0, b.costPass)
	}
	if opErr != nil && ctx.Err() != nil {
		return opErr
	}
	for _, impl := range cfg.impls {
		b.rep.MaxRSSMB[impl] = float64(b.rss.maxRSS(impl)) / (1 << 20)
	}
	b.rep.Targets = checkTargets(b.rep)
	b.rep.WallSeconds = time.Since(began).Seconds()

	writeText(stdout, b.rep)
	if err := writeReports(cfg.out, b.rep); err != nil {
		return errors.Join(opErr, err)
	}
	fmt.Fprintf(stdout, "\nwrote %s, %s and %s\n", filepath.Join(cfg.out, "bench.md"), filepath.Join(cfg.out, "bench.json"), filepath.Join(cfg.out, "bench.svg"))
	if b.profiled != "" {
		fmt.Fprintf(stdout, "CPU profile of mosaic: go tool pprof -top %s\n", b.profiled)
	}
	if opErr != nil {
		return opErr
	}
	var errs []error
	for _, r := range b.rep.Results {
		if r.Errors > 0 {
			errs = append(errs, fmt.Errorf("%s %s: %d of %d requests failed, first: %s", r.Impl, r.Scene, r.Errors, r.Requests+r.Errors, r.FirstError))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if cfg.strict {
		for _, t := range b.rep.Targets {
			if t.Status == statusFail {
				return fmt.Errorf("target %d missed (-strict): %s", t.N, t.Name)
			}
		}
	}
	return nil
}

// bencher holds one run's shared state.
type bencher struct {
	cfg       benchConfig
	stderr    io.Writer
	bffPath   string
	self      string
	ds        *dataset.Dataset
	aid, mid  int64
	client    *http.Client
	transport *http.Transport
	rss       *rssSampler
	rep       *report
	profiled  string
	cluster   *cluster.Cluster // of the pass under way

	rec      *record.Recorder
	children map[string]*child
}

// buildBFF returns the cmd/bff binary to measure: the given one, or one
// built from the module in the working directory.
func buildBFF(ctx context.Context, given, tmp string, stderr io.Writer) (string, error) {
	if given != "" {
		return given, nil
	}
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (run from the mosaic module, or give -bff-binary)", err)
	}
	mod := strings.TrimSpace(string(gomod))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside a Go module: run bench from the mosaic module, or give -bff-binary")
	}
	out := filepath.Join(tmp, "bff")
	fmt.Fprintln(stderr, "bench: go build ./cmd/bff")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/bff")
	cmd.Dir = filepath.Dir(mod)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building cmd/bff in %s: %w", cmd.Dir, err)
	}
	return out, nil
}

// pickEntities chooses the video and the user the scenes ask for: a visible
// video with a full page of hot replies, and a user with more uploads than
// the largest page.
func pickEntities(ds *dataset.Dataset) (aid, mid int64, err error) {
	for _, a := range ds.VisibleAids() {
		if len(ds.HotReplies(a, refReplies)) == refReplies && len(ds.Related(a, refRelated)) == refRelated {
			aid = a
			break
		}
	}
	for _, m := range ds.Mids() {
		if _, total := ds.ListByOwner(m, 1, 1); total > refMaxPS {
			mid = m
			break
		}
	}
	if aid == 0 || mid == 0 {
		return 0, 0, fmt.Errorf("seed %d has no video with %d replies or no user with more than %d uploads", ds.Seed(), refReplies, refMaxPS)
	}
	return aid, mid, nil
}

func machine() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v) + ", "
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %s%d CPUs, %s", runtime.GOOS, runtime.GOARCH, cpu, runtime.NumCPU(), runtime.Version())
}

// pass starts the mock downstreams with latency and every implementation
// over them, runs fn, and stops everything.
func (b *bencher) pass(ctx context.Context, latency time.Duration, fn func(context.Context) error) (err error) {
	b.rec = &record.Recorder{}
	cluster, err := cluster.Start(ctx, b.ds, fakes.Options{Recorder: b.rec, Latency: latency})
	if err != nil {
		return fmt.Errorf("starting the mock downstreams: %w", err)
	}
	defer cluster.Stop()
	b.cluster = cluster
	b.children = map[string]*child{}
	defer func() {
		b.transport.CloseIdleConnections()
		for _, impl := range b.cfg.impls {
			if c := b.children[impl]; c != nil {
				b.rss.unwatch(c.cmd.Process.Pid)
				err = errors.Join(err, c.stop())
			}
		}
	}()
	for _, impl := range b.cfg.impls {
		c, err := b.startImpl(ctx, impl, cluster)
		if err != nil {
			return err
		}
		b.children[impl] = c
		b.rss.watch(impl, c.cmd.Process.Pid)
	}
	fmt.Fprintf(b.stderr, "bench: pass with %v per downstream call\n", latency)
	return fn(ctx)
}

// alive fails if a child died during the bench.
func (b *bencher) alive() error {
	for _, c := range b.children {
		if c.exited() {
			return c.stop()
		}
	}
	return nil
}

func (b *bencher) startImpl(ctx context.Context, impl string, cluster *cluster.Cluster) (*child, error) {
	if impl == implMosaic {
		args := []string{
			"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0",
			"-scene-deadline", "5s", "-call-timeout", "4s", "-max-inflight", "100000",
			// Viewer 42 must be honored, or mosaic would skip the
			// relation calls the others make.
			"-trusted-proxies", "127.0.0.1/32",
		}
		for _, svc := range clients.Services() {
			args = append(args, "-"+svc+"-target", "static:///"+cluster.Addr(svc))
		}
		return startChild(ctx, b.client, impl, b.bffPath, args, mosaicAnnouncement, func(c *child) string { return c.admin + "/readyz" })
	}
	var targets []string
	for _, svc := range clients.Services() {
		targets = append(targets, svc+"="+cluster.Addr(svc))
	}
	args := []string{"bench-serve", "-impl", impl, "-targets", strings.Join(targets, ",")}
	return startChild(ctx, b.client, impl, b.self, args, serveAnnouncement, func(c *child) string { return c.metrics })
}

// target is the request of a scene on a device at page size ps.
func (b *bencher) target(c *child, scene, device string, ps int) loadTarget {
	var path string
	switch scene {
	case sceneFeed:
		path = fmt.Sprintf("/%s/v1/feed?ps=%d", device, ps)
	case sceneVideo:
		path = fmt.Sprintf("/%s/v1/videos/%d", device, b.aid)
	case sceneUser:
		path = fmt.Sprintf("/%s/v1/users/%d?ps=%d", device, b.mid, ps)
	}
	h := http.Header{}
	h.Set("X-User-Id", strconv.Itoa(benchViewer))
	h.Set("X-Network", "wifi")
	h.Set("Accept-Language", "zh-CN")
	return loadTarget{url: c.base + path, header: h}
}

func (b *bencher) note(r *result, res loadResult) {
	r.Requests += res.ok
	if res.errors > 0 && r.FirstError == "" {
		r.FirstError = res.firstErr
	}
	r.Errors += res.errors
}

// latencyPass: for each implementation and scene, saturation, then the open
// loop at a fraction of it.
func (b *bencher) latencyPass(ctx context.Context) error {
	hop, err := hopLatency(ctx, b.cluster.Addr(clients.Stat), b.ds.VisibleAids()[:20], 200)
	if err != nil {
		return err
	}
	b.rep.HopP50ms = ms(hop)
	fmt.Fprintf(b.stderr, "  one downstream call from a bare gRPC client: p50 %.2fms\n", b.rep.HopP50ms)
	for _, impl := range b.cfg.impls {
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

func (b *bencher) latencyOf(ctx context.Context, c *child) error {
	for _, scene := range b.cfg.scenes {
		t := b.target(c, scene, refDeviceName, b.cfg.loadPS)
		r := b.rep.get(c.impl, scene)
		closedLoop(ctx, b.client, t, b.cfg.concurrency, b.cfg.warmup)
		idle := sequential(ctx, b.client, t, 3, 400*time.Millisecond)
		b.note(r, idle)
		p50, _, _ := percentiles(idle.latencies)
		r.IdleP50ms = ms(p50)
		sat := closedLoop(ctx, b.client, t, b.cfg.concurrency, b.cfg.duration)
		b.note(r, sat)
		r.SatRPSLatency = sat.rps()
		if sat.ok == 0 {
			return fmt.Errorf("%s %s: no successful request at saturation: %s", c.impl, scene, sat.firstErr)
		}
		rate := b.cfg.fraction * r.SatRPSLatency
		open := openLoop(ctx, b.client, t, rate, b.cfg.openDur)
		b.note(r, open)
		r.OpenRPS, r.OpenRequests = rate, open.ok+open.errors
		p50, p99, p999 := percentiles(open.latencies)
		r.P50ms, r.P99ms, r.P999ms = ms(p50), ms(p99), ms(p999)
		r.SendLagMs = ms(open.sendLag)
		fmt.Fprintf(b.stderr, "  %-6s %-5s idle p50 %.1fms; saturation %7.0f req/s; at %.0f req/s p50 %.1fms p99 %.1fms p99.9 %.1fms\n",
			c.impl, scene, r.IdleP50ms, r.SatRPSLatency, rate, r.P50ms, r.P99ms, r.P999ms)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// callsPerRequest sends n requests one at a time and counts the downstream
// calls they made.
func (b *bencher) callsPerRequest(ctx context.Context, t loadTarget, n int) (float64, error) {
	b.rec.Reset()
	for range n {
		if _, err := do(ctx, b.client, t); err != nil {
			return 0, err
		}
	}
	return float64(len(b.rec.Calls())) / float64(n), nil
}

// costPass: calls per request and bytes per device for each implementation,
// then for each scene the saturation phases, interleaved across the
// implementations for -rounds rounds so that noise from a shared machine
// hits them alike; throughput is the best round's, CPU time and allocations
// per request are over all rounds.
func (b *bencher) costPass(ctx context.Context) error {
	for _, impl := range b.cfg.impls {
		if err := b.shapes(ctx, b.children[impl]); err != nil {
			return err
		}
	}
	for _, scene := range b.cfg.scenes {
		type acc struct {
			requests, calls int
			before          procStats
			cpu, mallocs    float64
		}
		accs := map[string]*acc{}
		for round := range b.cfg.rounds {
			for _, impl := range b.cfg.impls {
				c, r := b.children[impl], b.rep.get(impl, scene)
				t := b.target(c, scene, refDeviceName, b.cfg.loadPS)
				closedLoop(ctx, b.client, t, b.cfg.concurrency, b.cfg.warmup)
				before, err := c.scrape(ctx, b.client)
				if err != nil {
					return err
				}
				b.rec.Reset()
				sat := closedLoop(ctx, b.client, t, b.cfg.concurrency, b.cfg.duration)
				after, err := c.scrape(ctx, b.client)
				if err != nil {
					return err
				}
				calls := len(b.rec.Calls())
				b.rec.Reset()
				b.transport.CloseIdleConnections()
				b.note(r, sat)
				a := accs[impl]
				if a == nil {
					a = &acc{}
					accs[impl] = a
				}
				a.requests += sat.ok + sat.errors
				a.calls += calls
				a.cpu += after.cpuSeconds - before.cpuSeconds
				a.mallocs += after.mallocs - before.mallocs
				r.SatRPS = max(r.SatRPS, sat.rps())
				r.RoundRPS = append(r.RoundRPS, sat.rps())
				fmt.Fprintf(b.stderr, "  %-6s %-5s round %d: %7.0f req/s, %.3f CPU ms/req, %.0f allocs/req\n", impl, scene, round+1, sat.rps(),
					(after.cpuSeconds-before.cpuSeconds)*1000/float64(max(sat.ok+sat.errors, 1)), (after.mallocs-before.mallocs)/float64(max(sat.ok+sat.errors, 1)))
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := b.alive(); err != nil {
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
		if scene == b.cfg.scenes[0] && b.cfg.profile != "" {
			for _, impl := range []string{implMosaic, implFloor} {
				if c := b.children[impl]; c != nil {
					if err := b.profile(ctx, c, b.target(c, scene, refDeviceName, b.cfg.loadPS)); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// shapes counts the downstream calls of one request of each scene at each
// page size, and the bytes each device receives.
func (b *bencher) shapes(ctx context.Context, c *child) error {
	devices := []string{refDeviceName}
	if c.impl == implMosaic {
		devices = []string{"app", "pad", "web", "mini"}
	}
	for _, scene := range b.cfg.scenes {
		r := b.rep.get(c.impl, scene)
		sizes := b.cfg.ps
		if scene == sceneVideo {
			sizes = []int{0}
		}
		for _, ps := range sizes {
			calls, err := b.callsPerRequest(ctx, b.target(c, scene, refDeviceName, max(ps, 1)), 3)
			if err != nil {
				return fmt.Errorf("%s %s: %w", c.impl, scene, err)
			}
			key := "-"
			if ps > 0 {
				key = strconv.Itoa(ps)
			}
			r.CallsPerReq[key] = calls
		}
		for _, d := range devices {
			n, err := do(ctx, b.client, b.target(c, scene, d, b.cfg.loadPS))
			if err != nil {
				return fmt.Errorf("%s %s on %s: %w", c.impl, scene, d, err)
			}
			r.Bytes[d] = int(n)
		}
	}
	return nil
}

// profile takes a 5s CPU profile of c (mosaic or floor) while saturating it.
func (b *bencher) profile(ctx context.Context, c *child, t loadTarget) error {
	const secs = 5
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loadDone := make(chan struct{})
	go func() {
		closedLoop(lctx, b.client, t, b.cfg.concurrency, secs*time.Second+500*time.Millisecond)
		close(loadDone)
	}()
	defer func() { cancel(); <-loadDone; b.rec.Reset() }()
	time.Sleep(200 * time.Millisecond)
	base := c.admin
	if base == "" {
		base = c.base // bench-serve children serve pprof on their one listener
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: b.transport, Timeout: (secs + 10) * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("%s CPU profile: %w", c.impl, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s CPU profile: status %d, %v", c.impl, resp.StatusCode, err)
	}
	path := filepath.Join(b.cfg.profile, c.impl+".cpu.pprof")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return err
	}
	if c.impl == implMosaic {
		b.profiled = path
	}
	fmt.Fprintf(b.stderr, "  wrote %s\n", path)
	return nil
}
