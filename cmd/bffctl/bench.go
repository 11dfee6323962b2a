package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"mosaic/internal/bench"
	"mosaic/internal/bench/reference"
	"mosaic/internal/bench/workload"
)

// parseBench reads bench's flags.
func parseBench(args []string, stderr io.Writer) (bench.Config, error) {
	var (
		cfg                                     bench.Config
		psList, scenes, impls, passes, variants string
	)
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.Latency, "mock-latency", 10*time.Millisecond, "latency of every downstream call in the latency pass (the cost pass always uses 0)")
	fs.DurationVar(&cfg.Duration, "duration", 1500*time.Millisecond, "length of each closed-loop saturation phase")
	fs.DurationVar(&cfg.OpenDur, "open-duration", 3*time.Second, "length of each open-loop latency phase")
	fs.DurationVar(&cfg.Warmup, "warmup", 300*time.Millisecond, "unmeasured load before each saturation phase")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "closed-loop workers in the saturation phases")
	fs.IntVar(&cfg.Rounds, "rounds", 5, "saturation rounds per scene in the cost pass, interleaved across the implementations (throughput: the best round; ratios: the median of the rounds' ratios)")
	fs.Float64Var(&cfg.Fraction, "load-fraction", 0.5, "open-loop rate as a `fraction` of the saturation rate")
	fs.StringVar(&psList, "ps", "10,20,50", "page sizes at which downstream calls per request are counted (feed, user)")
	fs.IntVar(&cfg.LoadPS, "load-ps", 20, "page size of the feed and user requests under load")
	fs.StringVar(&scenes, "scenes", strings.Join(workload.SceneNames(), ","), "scenes to measure")
	fs.StringVar(&impls, "impls", strings.Join(bench.Impls(), ","), "implementations to measure: mosaic, floor (batched calls, no framework), naive (N+1 calls)")
	fs.StringVar(&cfg.Out, "out", ".", "`directory` for bench.md, bench.json, bench.svg and bench-skewed.svg")
	fs.Int64Var(&cfg.Seed, "seed", 1, "mock dataset seed")
	fs.BoolVar(&cfg.Strict, "strict", false, "exit non-zero when a target is missed (BENCHMARKS.md lists them)")
	fs.StringVar(&cfg.Profile, "profile", "", "`directory` to write CPU profiles into, each 5s under saturation on the first of -scenes: mosaic.cpu.pprof and floor.cpu.pprof (cost pass, no downstream latency), skewed-<impl>.cpu.pprof (skewed pass)")
	fs.StringVar(&cfg.BFFBinary, "bff-binary", "", "a built cmd/bff to measure (default: go build ./cmd/bff of the module in the working directory)")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.StringVar(&passes, "passes", strings.Join(bench.Passes(), ","), "passes to run: latency and cost (the Classic world, one viewer), skewed (the Zipf world, many viewers, mosaic's -variants)")
	fs.DurationVar(&cfg.SkewLatency, "skewed-latency", 10*time.Millisecond, "latency of every downstream call in the skewed pass")
	fs.IntVar(&cfg.SkewRounds, "skewed-rounds", 3, "rounds per scene in the skewed pass, each a saturation phase of -duration then an open-loop chunk of -open-duration/rounds per implementation, interleaved")
	fs.IntVar(&cfg.Viewers, "viewers", workload.DefaultViewers, "the skewed pass draws each request's viewer uniformly from this many")
	fs.StringVar(&variants, "variants", bench.FormatVariants(bench.DefaultVariants()), "mosaic's lines in the skewed pass: `name[:flags];...`, each cmd/bff with the flags added (as -x=v, no spaces in a value)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: bffctl bench [flags]

Measures mosaic against two reference BFFs over the same mock downstreams,
each in a process of its own: floor (the same batched calls with errgroup
and encoding/json, nothing else) and naive (one downstream call per item).

Three passes (-passes). latency: with -mock-latency on every downstream
call, a closed-loop saturation phase then an open-loop phase at
-load-fraction of it, for the latency percentiles. cost: with no
downstream latency, calls per request, bytes per device, throughput, CPU
and allocations per request. skewed: over a 100,000-archive world with a
Zipf feed, viewers drawn from -viewers, mosaic's -variants (caches on and
off) against floor and naive, interleaved: throughput, p50/p99, downstream
calls and IDs per screen, cache hit rates, RSS.

Prints the tables and the targets of issues 5 and 12, writes bench.md,
bench.json, bench.svg and bench-skewed.svg to -out. Fails on operational
errors (a server not starting, errors in responses), and on a missed
target only with -strict.

flags:`)
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, "bench"); err != nil {
		return cfg, err
	}
	cfg.Command = strings.TrimSpace("go run ./cmd/bffctl bench " + strings.Join(args, " "))
	var err error
	if cfg.PS, err = parseList(psList, pageSize); err != nil {
		return cfg, fmt.Errorf("-ps: %w", err)
	}
	cfg.PS = uniq(cfg.PS)
	if cfg.Scenes, err = parseNames(scenes, workload.SceneNames()); err != nil {
		return cfg, fmt.Errorf("-scenes: %w", err)
	}
	if cfg.Impls, err = parseNames(impls, bench.Impls()); err != nil {
		return cfg, fmt.Errorf("-impls: %w", err)
	}
	if cfg.Passes, err = parseNames(passes, bench.Passes()); err != nil {
		return cfg, fmt.Errorf("-passes: %w", err)
	}
	if cfg.Variants, err = bench.ParseVariants(variants); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// pageSize reads a page size the reference BFFs serve whole.
func pageSize(f string) (int, error) {
	return intIn(f, 1, reference.MaxPS, "a page size")
}
