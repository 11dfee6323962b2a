// Package bench measures mosaic against two reference BFFs over the same
// mock downstreams, each in a process of its own: floor (the same batched
// calls, nothing else) and naive (one downstream call per item). Three
// passes. Over the Classic world, where no request resembles another: with
// a latency on every downstream call, saturation then an open loop at a
// fraction of it, for the latency percentiles; with none, calls per
// request, bytes per device, throughput, CPU and allocations per request.
// Over the skewed world (a Zipf feed, a million viewers), mosaic's
// variants (caches on and off) against both, interleaved: throughput,
// latency, downstream calls and IDs per screen, cache hit rates, RSS. It
// checks the targets of issues 5 and 12 (a table, targets.go) and writes
// bench.md, bench.json, bench.svg and bench-skewed.svg. bffctl bench is
// its command.
package bench

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"mosaic/internal/bench/reference"
)

// The implementations the bench knows.
const (
	Mosaic = "mosaic"
	Floor  = "floor"
	Naive  = "naive"
)

// Impls are the implementations, in the order the bench measures them.
func Impls() []string { return []string{Mosaic, Floor, Naive} }

// Config is one run's settings (bffctl bench's flags).
type Config struct {
	Latency     time.Duration // of every downstream call in the latency pass
	Duration    time.Duration // of each closed-loop saturation phase
	OpenDur     time.Duration // of each open-loop latency phase
	Warmup      time.Duration // unmeasured load before each saturation phase
	Concurrency int           // closed-loop workers
	Rounds      int           // saturation rounds per scene in the cost pass
	Fraction    float64       // open-loop rate, of the saturation rate
	PS          []int         // page sizes at which calls per request are counted
	LoadPS      int           // page size of the requests under load
	Scenes      []string      // in workload.Scenes order
	Impls       []string      // in Impls order
	Out         string        // directory of bench.md, bench.json and bench.svg
	Seed        int64         // of the mock dataset
	Strict      bool          // fail on a missed target
	Profile     string        // directory of CPU profiles; "" for none
	BFFBinary   string        // a built cmd/bff; "" to build one
	Timeout     time.Duration // of each request
	Command     string        // the command line, for the report

	Passes []string // in Passes order

	// The skewed pass.
	SkewLatency time.Duration // of every downstream call
	SkewRounds  int           // interleaved rounds of saturation and of open loop per scene
	Viewers     int           // population the viewers are drawn from
	Variants    []Variant     // mosaic's, in the order measured
}

// The passes.
const (
	PassLatency = "latency"
	PassCost    = "cost"
	PassSkewed  = "skewed"
)

// Passes are the passes, in the order a run makes them.
func Passes() []string { return []string{PassLatency, PassCost, PassSkewed} }

// runs says whether c makes pass.
func (c Config) runs(pass string) bool { return slices.Contains(c.Passes, pass) }

// Validate says what is wrong with c's numbers.
func (c Config) Validate() error {
	switch {
	case c.Latency < 0:
		return errors.New("-mock-latency must not be negative")
	case c.Duration <= 0 || c.OpenDur <= 0 || c.Warmup < 0 || c.Timeout <= 0:
		return errors.New("-duration, -open-duration and -timeout must be positive, -warmup not negative")
	case c.Concurrency < 1 || c.Rounds < 1:
		return errors.New("-concurrency and -rounds must be at least 1")
	case c.Fraction <= 0 || c.Fraction > 1:
		return errors.New("-load-fraction must be in (0, 1]")
	case c.LoadPS < 1 || c.LoadPS > reference.MaxPS:
		return fmt.Errorf("-load-ps must be between 1 and %d", reference.MaxPS)
	case len(c.Passes) == 0:
		return errors.New("-passes names no pass")
	}
	return c.validSkewed()
}

// validSkewed checks the skewed pass's settings, when it runs.
func (c Config) validSkewed() error {
	switch {
	case !c.runs(PassSkewed):
		return nil
	case c.SkewLatency < 0 || c.SkewRounds < 1 || c.Viewers < 1:
		return errors.New("-skewed-latency must not be negative, -skewed-rounds and -viewers must be at least 1")
	}
	return validVariants(c.Variants)
}
