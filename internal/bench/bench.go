package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mosaic/clients"
	"mosaic/internal/bench/child"
	"mosaic/internal/bench/host"
	"mosaic/internal/bench/load"
	"mosaic/internal/bench/workload"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
)

// bencher holds one run's shared state.
type bencher struct {
	cfg       Config
	stderr    io.Writer
	bffPath   string
	self      string
	ds        *dataset.Dataset // the Classic world of the uniform passes
	skew      *workload.Skew   // the skewed pass's requests, over its own world
	ents      workload.Entities
	client    *http.Client
	transport *http.Transport
	rss       *host.RSSSampler
	rep       *Report
	profiled  string
	cluster   *cluster.Cluster // of the pass under way

	rec      *record.Recorder
	children map[string]*child.Child
}

// Run measures, prints the report on stdout and writes it to cfg.Out. It
// fails on operational errors (a server not starting, errors in
// responses), and on a missed target only with cfg.Strict.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	began := time.Now()
	if err := makeDirs(cfg.Out, cfg.Profile); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mosaic-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b, err := newBencher(ctx, cfg, tmp, stderr)
	if err != nil {
		return err
	}
	defer b.transport.CloseIdleConnections()
	rctx, stopRSS := context.WithCancel(ctx)
	rssDone := make(chan struct{})
	go func() { b.rss.Run(rctx, 100*time.Millisecond); close(rssDone) }()
	defer func() { stopRSS(); <-rssDone }()

	opErr := b.passes(ctx)
	if opErr != nil && ctx.Err() != nil {
		return opErr
	}
	for _, impl := range cfg.Impls {
		if rss := b.rss.Max(impl); rss > 0 {
			b.rep.MaxRSSMB[impl] = float64(rss) / (1 << 20)
		}
	}
	b.rep.Targets = checkTargets(b.rep)
	b.rep.WallSeconds = time.Since(began).Seconds()
	if err := b.write(stdout); err != nil {
		return errors.Join(opErr, err)
	}
	if opErr != nil {
		return opErr
	}
	return b.verdict()
}

func makeDirs(dirs ...string) error {
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// newBencher finds or builds the binaries, picks the entities and sets up
// the client and the report.
func newBencher(ctx context.Context, cfg Config, tmp string, stderr io.Writer) (*bencher, error) {
	b := &bencher{cfg: cfg, stderr: stderr, rss: host.NewRSSSampler(), bffPath: cfg.BFFBinary}
	var err error
	if slices.Contains(cfg.Impls, Mosaic) && b.bffPath == "" {
		if err := child.GoBuild(ctx, tmp, stderr, "bench", "-bff-binary", "./cmd/bff"); err != nil {
			return nil, err
		}
		b.bffPath = filepath.Join(tmp, "bff")
	}
	if slices.ContainsFunc(cfg.Impls, func(s string) bool { return s != Mosaic }) {
		if b.self, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("finding bffctl's own binary to run floor and naive: %w", err)
		}
	}
	b.ds = dataset.New(cfg.Seed, dataset.Classic())
	if b.ents, err = workload.PickEntities(b.ds); err != nil {
		return nil, err
	}
	b.transport = &http.Transport{
		MaxIdleConns:        4096,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	b.client = &http.Client{Transport: b.transport, Timeout: cfg.Timeout}
	b.rep = &Report{
		Machine: host.Machine(), Command: cfg.Command,
		Latency: cfg.Latency.String(), Concurrency: cfg.Concurrency, Fraction: cfg.Fraction,
		Duration: cfg.Duration.String(), OpenDur: cfg.OpenDur.String(), Rounds: cfg.Rounds, Seed: cfg.Seed,
		LoadPS: cfg.LoadPS, PS: cfg.PS, Video: b.ents.Aid, User: b.ents.Mid, MaxRSSMB: map[string]float64{}, cfg: cfg,
	}
	if cfg.runs(PassSkewed) {
		b.rep.Skewed = newSkewReport(cfg, b.skewMembers())
	}
	fmt.Fprintf(stderr, "bench: %s; video %d, user %d, viewer %d\n", b.rep.Machine, b.ents.Aid, b.ents.Mid, workload.Viewer)
	return b, nil
}

// write prints the report and writes its files.
func (b *bencher) write(stdout io.Writer) error {
	writeText(stdout, b.rep)
	if err := writeReports(b.cfg.Out, b.rep); err != nil {
		return err
	}
	files := []string{"bench.md", "bench.json"}
	if len(b.rep.Results) > 0 {
		files = append(files, "bench.svg")
	}
	if b.rep.Skewed != nil {
		files = append(files, "bench-skewed.svg")
	}
	for i, f := range files {
		files[i] = filepath.Join(b.cfg.Out, f)
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", strings.Join(files, ", "))
	if b.profiled != "" {
		fmt.Fprintf(stdout, "CPU profile of mosaic: go tool pprof -top %s\n", b.profiled)
	}
	return nil
}

// verdict fails on failed requests, and with -strict on a missed target.
func (b *bencher) verdict() error {
	var errs []error
	failed := func(impl, scene string, o Outcome) {
		if o.Errors > 0 {
			errs = append(errs, fmt.Errorf("%s %s: %d of %d requests failed, first: %s", impl, scene, o.Errors, o.Requests+o.Errors, o.FirstError))
		}
	}
	for _, r := range b.rep.Results {
		failed(r.Impl, r.Scene, r.Outcome)
	}
	if s := b.rep.Skewed; s != nil {
		for _, r := range s.Results {
			failed("skewed "+r.Impl, r.Scene, r.Outcome)
		}
	}
	if len(errs) > 0 || !b.cfg.Strict {
		return errors.Join(errs...)
	}
	for _, t := range b.rep.Targets {
		if t.Status == StatusFail {
			return fmt.Errorf("target %d.%d missed (-strict): %s", t.Issue, t.N, t.Name)
		}
	}
	return nil
}

// member is one server of a pass: mosaic (with extra flags, for a
// variant), floor or naive.
type member struct {
	name   string
	mosaic bool
	flags  []string
	skewed bool // of the skewed pass
}

// uniformMembers are cfg.Impls, mosaic as it comes.
func (b *bencher) uniformMembers() []member {
	var ms []member
	for _, impl := range b.cfg.Impls {
		ms = append(ms, member{name: impl, mosaic: impl == Mosaic})
	}
	return ms
}

// passes runs the passes of cfg.Passes, in order.
func (b *bencher) passes(ctx context.Context) error {
	if b.cfg.runs(PassLatency) {
		if err := b.pass(ctx, b.ds, b.cfg.Latency, b.uniformMembers(), b.latencyPass); err != nil {
			return err
		}
	}
	if b.cfg.runs(PassCost) {
		if err := b.pass(ctx, b.ds, 0, b.uniformMembers(), b.costPass); err != nil {
			return err
		}
	}
	if b.cfg.runs(PassSkewed) {
		ds := dataset.New(b.cfg.Seed, dataset.Skewed())
		pregenerate(ds)
		b.skew = workload.NewSkew(ds, b.cfg.Viewers, b.cfg.Seed)
		return b.pass(ctx, ds, b.cfg.SkewLatency, b.skewMembers(), b.skewedPass)
	}
	return nil
}

// pass starts the mock downstreams serving ds with latency and every
// member over them, runs fn, and stops everything.
func (b *bencher) pass(ctx context.Context, ds *dataset.Dataset, latency time.Duration, members []member, fn func(context.Context) error) (err error) {
	b.rec = &record.Recorder{}
	cluster, err := cluster.Start(ctx, ds, fakes.Options{Recorder: b.rec, Latency: latency})
	if err != nil {
		return fmt.Errorf("starting the mock downstreams: %w", err)
	}
	defer cluster.Stop()
	b.cluster = cluster
	b.children = map[string]*child.Child{}
	defer func() {
		b.transport.CloseIdleConnections()
		for _, m := range members {
			if c := b.children[m.name]; c != nil {
				b.rss.Unwatch(c.Cmd.Process.Pid)
				err = errors.Join(err, c.Stop())
			}
		}
	}()
	for _, m := range members {
		c, err := child.Start(ctx, b.client, b.spec(m, cluster))
		if err != nil {
			return err
		}
		b.children[m.name] = c
		if !m.skewed {
			b.rss.Watch(m.name, c.Cmd.Process.Pid) // the skewed pass watches per scene
		}
	}
	fmt.Fprintf(b.stderr, "bench: pass over %d archives with %v per downstream call\n", ds.Config().Archives, latency)
	return fn(ctx)
}

// alive fails if a child died during the bench.
func (b *bencher) alive() error {
	for _, c := range b.children {
		if c.Exited() {
			return c.Stop()
		}
	}
	return nil
}

// spec is how to run m over the cluster: mosaic is cmd/bff, the others
// are this binary's bench-serve.
func (b *bencher) spec(m member, cluster *cluster.Cluster) child.Spec {
	addrs := map[string]string{}
	for _, svc := range clients.Services() {
		addrs[svc] = cluster.Addr(svc)
	}
	if m.mosaic {
		args := append(mosaicArgs(addrs), m.flags...)
		return child.Spec{Name: m.name, Path: b.bffPath, Args: args, Banner: child.MosaicBanner, Ready: child.MosaicReady}
	}
	args := []string{"bench-serve", "-impl", m.name, "-targets", FormatTargets(addrs)}
	return child.Spec{Name: m.name, Path: b.self, Args: args, Banner: ServeBanner, Ready: func(c *child.Child) string { return c.Metrics }}
}

// mosaicArgs are cmd/bff's flags for the bench: every downstream at its
// address, and limits high enough that none of them is what is measured.
func mosaicArgs(addrs map[string]string) []string {
	args := []string{
		"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0",
		"-scene-deadline", "5s", "-call-timeout", "4s", "-max-inflight", "100000",
		// Viewer 42 must be honored, or mosaic would skip the
		// relation calls the others make.
		"-trusted-proxies", "127.0.0.1/32",
	}
	for _, svc := range clients.Services() {
		args = append(args, "-"+svc+"-target", "static:///"+addrs[svc])
	}
	return args
}

// target is the request of a scene on a device at page size ps.
func (b *bencher) target(c *child.Child, scene, device string, ps int) load.Target {
	s, _ := workload.Lookup(scene)
	return load.Target{URL: c.Base + s.Path(device, b.ents, ps), Header: workload.Header()}
}
