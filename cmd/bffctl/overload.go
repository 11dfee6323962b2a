package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

type overloadConfig struct {
	latency    time.Duration
	seed       int64
	scene      string
	device     string
	ps         int
	loads      []float64
	duration   time.Duration
	probe      []int
	probeDur   time.Duration
	saturation float64
	settle     time.Duration
	deadline   time.Duration
	timeout    time.Duration
	bffFlags   []string
	pin        bool
	bffCPU     string
	loadCPU    string
	bffShare   float64 // of one CPU, by cgroup; 0: no quota
	md, svg    string
	jsonOut    string
	bffBin     string
	mocksBin   string
	selfBin    string
	strict     bool
}

func parseOverload(args []string, stderr io.Writer) (overloadConfig, error) {
	var (
		cfg                    overloadConfig
		loads, probe, bffFlags string
	)
	fs := flag.NewFlagSet("overload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.latency, "mock-latency", 10*time.Millisecond, "latency of every downstream call (mocksvc -latency)")
	fs.Int64Var(&cfg.seed, "seed", 1, "mock dataset seed")
	fs.StringVar(&cfg.scene, "scene", sceneFeed, "scene to load: feed, video or user")
	fs.StringVar(&cfg.device, "device", "web", "device whose route is loaded: app, pad, web or mini")
	fs.IntVar(&cfg.ps, "ps", 0, "page size of feed and user requests (0: the device's default)")
	fs.StringVar(&loads, "loads", "0.5,1,2,3", "offered loads as multiples of the measured saturation, one phase each")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each load phase")
	fs.StringVar(&probe, "probe", "16,32,64,128,256", "closed-loop worker counts tried, in order, to find the saturation (the best 200/s of any); stops once past the knee")
	fs.DurationVar(&cfg.probeDur, "probe-duration", 2*time.Second, "length of each saturation probe")
	fs.Float64Var(&cfg.saturation, "saturation", 0, "skip the probe and take this as the saturation (req/s)")
	fs.DurationVar(&cfg.settle, "settle", 6*time.Second, "pause before each phase, once the BFF has nothing in flight, so breakers opened by the previous one close (they stay open 5s)")
	fs.DurationVar(&cfg.deadline, "scene-deadline", 800*time.Millisecond, "the BFF's -scene-deadline; the p99 of the 200s must stay under it")
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Second, "the load generator's timeout of each request")
	fs.StringVar(&bffFlags, "bff-flags", "", "extra flags for cmd/bff, space-separated (e.g. \"-max-inflight 128\")")
	fs.BoolVar(&cfg.pin, "pin", true, "pin the BFF to -bff-cpu and the mocks and load generator to -load-cpu with taskset")
	fs.StringVar(&cfg.bffCPU, "bff-cpu", "0", "taskset CPU list of the BFF")
	fs.StringVar(&cfg.loadCPU, "load-cpu", "1", "taskset CPU list of the mocks and the load generator")
	fs.Float64Var(&cfg.bffShare, "bff-cpu-share", 0, "hold the BFF to this share of one CPU with a cgroup quota (root), so that the generator can offer it 3× (0: no quota)")
	fs.StringVar(&cfg.md, "md", "overload.md", "`path` of the Markdown report")
	fs.StringVar(&cfg.svg, "svg", "overload.svg", "`path` of the SVG chart")
	fs.StringVar(&cfg.jsonOut, "json", "", "`path` of a JSON report (none if empty)")
	fs.StringVar(&cfg.bffBin, "bff-binary", "", "a built cmd/bff (default: go build ./cmd/bff of the module in the working directory)")
	fs.StringVar(&cfg.mocksBin, "mocksvc-binary", "", "a built cmd/mocksvc (default: go build ./cmd/mocksvc)")
	fs.StringVar(&cfg.selfBin, "bffctl-binary", "", "a built cmd/bffctl to run the load generator (default: this one)")
	fs.BoolVar(&cfg.strict, "strict", false, "exit non-zero when a check of issue 9 fails")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: bffctl overload [flags]

Measures how the BFF holds up past saturation. Starts cmd/mocksvc (with
-mock-latency) and cmd/bff pointed at it as separate processes, the BFF
pinned to one CPU and the mocks and the load generator (a child process
running vegeta) to the other. Finds the saturation with closed-loop probes,
then offers open-loop load at -loads multiples of it and reports goodput
(200/s), its ratio to the best, p50/p99 of the 200s, shed and failed
answers, breaker and throttle activity from the BFF's /metrics, and CPU use.
Writes a Markdown table (-md) and an SVG chart (-svg).

flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("overload takes no arguments, got %q", fs.Args())
	}
	cfg.bffFlags = strings.Fields(bffFlags)
	var err error
	if cfg.loads, err = parseLoads(loads); err != nil {
		return cfg, fmt.Errorf("-loads: %w", err)
	}
	if cfg.probe, err = parseWorkers(probe); err != nil {
		return cfg, fmt.Errorf("-probe: %w", err)
	}
	return cfg, cfg.validate()
}

func (cfg overloadConfig) validate() error {
	switch {
	case !slices.Contains(allScenes(), cfg.scene):
		return fmt.Errorf("-scene %q: want one of %s", cfg.scene, strings.Join(allScenes(), ", "))
	case !slices.Contains([]string{"app", "pad", "web", "mini"}, cfg.device):
		return fmt.Errorf("-device %q: want app, pad, web or mini", cfg.device)
	case cfg.ps < 0 || cfg.ps > refMaxPS:
		return fmt.Errorf("-ps must be between 0 and %d", refMaxPS)
	case cfg.latency < 0 || cfg.saturation < 0 || cfg.settle < 0:
		return errors.New("-mock-latency, -saturation and -settle must not be negative")
	case cfg.duration <= 0 || cfg.probeDur <= 0 || cfg.deadline <= 0 || cfg.timeout <= 0:
		return errors.New("-duration, -probe-duration, -scene-deadline and -timeout must be positive")
	case cfg.md == "" || cfg.svg == "":
		return errors.New("-md and -svg must name files")
	}
	return nil
}

// parseLoads reads "0.5,1,2,3": positive multiples, in the order given.
func parseLoads(s string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 || v > 20 {
			return nil, fmt.Errorf("%q is not a multiple in (0, 20]", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseWorkers reads "16,32,64": worker counts between 1 and maxAttackWorkers.
func parseWorkers(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxAttackWorkers {
			return nil, fmt.Errorf("%q is not a worker count between 1 and %d", f, maxAttackWorkers)
		}
		out = append(out, n)
	}
	return out, nil
}

// overload is the overload subcommand.
func overload(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseOverload(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	began := time.Now()
	r, err := startRig(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	rep, runErr := r.measure(ctx)
	runErr = errors.Join(runErr, r.stop())
	if rep == nil {
		return runErr
	}
	rep.Command = strings.TrimSpace("go run ./cmd/bffctl overload " + strings.Join(args, " "))
	rep.WallSeconds = time.Since(began).Seconds()
	rep.finish()
	rep.writeText(stdout)
	if err := rep.write(cfg); err != nil {
		return errors.Join(runErr, err)
	}
	fmt.Fprintf(stdout, "\nwrote %s and %s\n", cfg.md, cfg.svg)
	if runErr != nil {
		return runErr
	}
	if cfg.strict {
		for _, c := range rep.Checks {
			if !c.Pass {
				return fmt.Errorf("check failed (-strict): %s", c.Name)
			}
		}
	}
	return nil
}

// write saves the Markdown, the SVG and, if asked, the JSON.
func (rep *overloadReport) write(cfg overloadConfig) error {
	var md strings.Builder
	rep.writeMarkdown(&md)
	if err := os.WriteFile(cfg.md, []byte(md.String()), 0o644); err != nil {
		return err
	}
	f, err := os.Create(cfg.svg)
	if err != nil {
		return err
	}
	if err := errors.Join(writeOverloadSVG(f, rep), f.Close()); err != nil {
		return err
	}
	if cfg.jsonOut == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644)
}
