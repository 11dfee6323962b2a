package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"mosaic/internal/bench/overload"
	"mosaic/internal/bench/reference"
	"mosaic/internal/bench/report"
	"mosaic/internal/bench/workload"
)

// parseOverload reads overload's flags.
func parseOverload(args []string, stderr io.Writer) (overload.Config, error) {
	var (
		cfg                          overload.Config
		loads, probe, ramp, bffFlags string
	)
	fs := flag.NewFlagSet("overload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.Latency, "mock-latency", 10*time.Millisecond, "latency of every downstream call (mocksvc -latency)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "mock dataset seed")
	fs.StringVar(&cfg.Scene, "scene", workload.Feed, "scene to load: "+report.OrList(workload.SceneNames()))
	fs.StringVar(&cfg.Device, "device", reference.Device, "device whose route is loaded: "+report.OrList(workload.Devices()))
	fs.IntVar(&cfg.PS, "ps", 0, "page size of feed and user requests (0: the device's default)")
	fs.StringVar(&loads, "loads", "0.5,1,2,3", "offered loads as multiples of the measured saturation, one phase each a round")
	fs.IntVar(&cfg.Rounds, "rounds", 5, "times every load runs, in turn with the others: the machine's capacity drifts from minute to minute, and in rounds every load meets the same minutes; the checks read each load's mean, against the highest of the loads' means")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "length of each load phase")
	fs.StringVar(&probe, "probe", "16,32,64,128,256", "closed-loop worker counts tried, in order, to find the saturation (the best screens/s of any: 200s listing no degraded section); stops once past the knee")
	fs.StringVar(&ramp, "ramp", "1,1.15,1.3,1.5,1.75,2,2.5", "open-loop loads, multiples of the closed-loop probe's best, tried in order after it until goodput falls 10% below the best; the saturation is the best screens/s of probe and ramp (empty: the probe alone). The closed loop can read far low: its workers answered at once by a shedding BFF ask again at once")
	fs.DurationVar(&cfg.ProbeDur, "probe-duration", 3*time.Second, "length of each saturation probe and ramp step (0: -duration). The steps only set the rate the loads are multiples of; the best goodput the checks read is the highest of the loads' means, since the best of many steps is the luckiest draw of the machine, not what the BFF does")
	fs.Float64Var(&cfg.Saturation, "saturation", 0, "skip the probe and take this as the saturation (req/s)")
	fs.DurationVar(&cfg.Settle, "settle", 6*time.Second, "pause before each phase, once the BFF has nothing in flight, so breakers opened by the previous one close (they stay open 5s)")
	fs.DurationVar(&cfg.Deadline, "scene-deadline", 800*time.Millisecond, "the BFF's -scene-deadline; the p99 of the 200s must stay under it")
	fs.DurationVar(&cfg.Timeout, "timeout", 2*time.Second, "the load generator's timeout of each request")
	fs.StringVar(&bffFlags, "bff-flags", "", "extra flags for cmd/bff, space-separated (e.g. \"-max-inflight 128\")")
	fs.BoolVar(&cfg.Pin, "pin", true, "pin the BFF to -bff-cpu and the mocks and load generator to -load-cpu with taskset")
	fs.StringVar(&cfg.BFFCPU, "bff-cpu", "0", "taskset CPU list of the BFF")
	fs.StringVar(&cfg.LoadCPU, "load-cpu", "1", "taskset CPU list of the mocks and the load generator")
	fs.Float64Var(&cfg.BFFShare, "bff-cpu-share", 0, "hold the BFF to this share of one CPU with a cgroup quota (root), so that the generator can offer it 3× (0: no quota)")
	fs.IntVar(&cfg.GatewayConns, "gateway-max-conns", 0, "send the load through a gateway (nginx, as deploy/gateway) that passes the BFF at most this many requests at a time and answers the excess with its own 503, so that refusing it costs the BFF's core nothing (0: no gateway, the load goes to the BFF)")
	fs.StringVar(&cfg.GatewayCPU, "gateway-cpu", "", "taskset CPU list of the gateway (default: -bff-cpu, whose share beyond -bff-cpu-share the BFF cannot use, so that the gateway takes nothing from the mocks or the generator; without a quota it competes with the BFF)")
	fs.StringVar(&cfg.Nginx, "nginx", "", "`path` of nginx for -gateway-max-conns (default: nginx on PATH, else /usr/sbin/nginx)")
	fs.StringVar(&cfg.MD, "md", "overload.md", "`path` of the Markdown report")
	fs.StringVar(&cfg.SVG, "svg", "overload.svg", "`path` of the SVG chart")
	fs.StringVar(&cfg.JSONOut, "json", "", "`path` of a JSON report (none if empty)")
	fs.StringVar(&cfg.BFFBin, "bff-binary", "", "a built cmd/bff (default: go build ./cmd/bff of the module in the working directory)")
	fs.StringVar(&cfg.MocksBin, "mocksvc-binary", "", "a built cmd/mocksvc (default: go build ./cmd/mocksvc)")
	fs.StringVar(&cfg.SelfBin, "bffctl-binary", "", "a built cmd/bffctl to run the load generator (default: this one)")
	fs.BoolVar(&cfg.Strict, "strict", false, "exit non-zero when a check of issue 9 fails")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: bffctl overload [flags]

Measures how the BFF holds up past saturation. Starts cmd/mocksvc (with
-mock-latency) and cmd/bff pointed at it as separate processes, the BFF
pinned to one CPU and the mocks and the load generator (a child process
running vegeta) to the other. Finds the saturation with closed-loop probes
and an open-loop ramp above their best, then offers open-loop load at
-loads multiples of it, -rounds times in turn, and reports goodput (screens/s: 200s listing no degraded section), its ratio to the best, p50/p99 of the 200s, shed and failed
answers, breaker and throttle activity from the BFF's /metrics, and CPU use.
Writes a Markdown table (-md) and an SVG chart (-svg).

flags:`)
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, "overload"); err != nil {
		return cfg, err
	}
	cfg.Command = strings.TrimSpace("go run ./cmd/bffctl overload " + strings.Join(args, " "))
	cfg.BFFFlags = strings.Fields(bffFlags)
	if cfg.ProbeDur == 0 {
		cfg.ProbeDur = cfg.Duration
	}
	if cfg.GatewayCPU == "" {
		cfg.GatewayCPU = cfg.BFFCPU
	}
	var err error
	if cfg.Loads, err = parseList(loads, loadMultiple); err != nil {
		return cfg, fmt.Errorf("-loads: %w", err)
	}
	if cfg.Probe, err = parseList(probe, workers); err != nil {
		return cfg, fmt.Errorf("-probe: %w", err)
	}
	if strings.TrimSpace(ramp) != "" {
		if cfg.Ramp, err = parseList(ramp, loadMultiple); err != nil {
			return cfg, fmt.Errorf("-ramp: %w", err)
		}
	}
	return cfg, cfg.Validate()
}

// loadMultiple reads an offered load, a multiple of the saturation.
func loadMultiple(f string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
	if err != nil || v <= 0 || v > 20 {
		return 0, fmt.Errorf("%q is not a multiple in (0, 20]", f)
	}
	return v, nil
}

// workers reads a closed-loop worker count the generator can run.
func workers(f string) (int, error) {
	return intIn(f, 1, overload.MaxAttackWorkers, "a worker count")
}
