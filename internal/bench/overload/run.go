// Package overload measures how the BFF holds up past saturation: it runs
// cmd/mocksvc and cmd/bff as processes of their own, the BFF pinned apart
// from the mocks and the load generator (a child running vegeta), finds
// the saturation with closed-loop probes, offers open-loop load at
// multiples of it, and reports goodput, latency, shed and failed answers,
// breaker activity and CPU use against the checks of issue 9. The
// saturation is the best screens/s (whole 200s) of the closed-loop probes and of an
// open-loop ramp above them: a closed loop reads low, since each worker
// waits out its answers and the BFF's queueing slows their rate. bffctl
// overload is its command, bffctl overload-attack its load generator.
package overload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"mosaic/internal/bench/reference"
	"mosaic/internal/bench/report"
	"mosaic/internal/bench/workload"
)

// Config is one run's settings (bffctl overload's flags).
type Config struct {
	Latency    time.Duration // of every downstream call (mocksvc -latency)
	Seed       int64         // of the mock dataset
	Scene      string        // loaded, on Device
	Device     string
	PS         int           // page size of paged scenes; 0: the device's default
	Loads      []float64     // offered loads, multiples of the saturation
	Rounds     int           // times every load runs, in turn with the others
	Duration   time.Duration // of each load phase
	Probe      []int         // closed-loop worker counts tried to find the saturation
	Ramp       []float64     // open-loop loads tried after the probe, multiples of its best
	ProbeDur   time.Duration // of each probe and ramp step
	Saturation float64       // taken as the saturation, no probe; 0: probe
	Settle     time.Duration // pause before each phase
	Deadline   time.Duration // the BFF's -scene-deadline
	Timeout    time.Duration // the generator's timeout of each request
	BFFFlags   []string      // extra flags for cmd/bff
	Pin        bool          // pin with taskset
	BFFCPU     string        // taskset CPU list of the BFF
	LoadCPU    string        // taskset CPU list of the mocks and the generator
	BFFShare   float64       // of one CPU, by cgroup; 0: no quota
	// GatewayConns, when positive, sends the load through nginx passing
	// the BFF at most that many requests at a time (see gateway.go).
	GatewayConns int
	GatewayCPU   string // taskset CPU list of the gateway
	Nginx        string // its path; "" to look for it
	MD, SVG      string // report paths
	JSONOut      string // JSON report path; "" for none
	BFFBin       string // a built cmd/bff; "" to build one
	MocksBin     string // a built cmd/mocksvc; "" to build one
	SelfBin      string // a built cmd/bffctl; "" for this one
	Strict       bool   // fail on a failed check
	Command      string // the command line, for the report
}

// Validate says what is wrong with c.
func (c Config) Validate() error {
	switch {
	case !slices.Contains(workload.SceneNames(), c.Scene):
		return fmt.Errorf("-scene %q: want one of %s", c.Scene, strings.Join(workload.SceneNames(), ", "))
	case !slices.Contains(workload.Devices(), c.Device):
		return fmt.Errorf("-device %q: want %s", c.Device, report.OrList(workload.Devices()))
	case c.PS < 0 || c.PS > reference.MaxPS:
		return fmt.Errorf("-ps must be between 0 and %d", reference.MaxPS)
	case c.Rounds < 1:
		return errors.New("-rounds must be at least 1")
	case min(c.Latency, c.Settle) < 0 || min(c.Saturation, float64(c.GatewayConns)) < 0:
		return errors.New("-mock-latency, -saturation, -settle and -gateway-max-conns must not be negative")
	case c.Duration <= 0 || c.ProbeDur <= 0 || c.Deadline <= 0 || c.Timeout <= 0:
		return errors.New("-duration, -probe-duration, -scene-deadline and -timeout must be positive")
	case c.MD == "" || c.SVG == "":
		return errors.New("-md and -svg must name files")
	}
	return nil
}

// Run starts the rig, finds the saturation, runs every phase, prints the
// report on stdout and writes it. It fails when the rig fails, and on a
// failed check only with cfg.Strict.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
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
	rep.Command = cfg.Command
	rep.WallSeconds = time.Since(began).Seconds()
	rep.finish()
	rep.writeText(stdout)
	if err := rep.write(cfg); err != nil {
		return errors.Join(runErr, err)
	}
	fmt.Fprintf(stdout, "\nwrote %s and %s\n", cfg.MD, cfg.SVG)
	if runErr != nil || !cfg.Strict {
		return runErr
	}
	for _, c := range rep.Checks {
		if !c.Pass {
			return fmt.Errorf("check failed (-strict): %s", c.Name)
		}
	}
	return nil
}

// write saves the Markdown, the SVG and, if asked, the JSON.
func (rep *Report) write(cfg Config) error {
	var md strings.Builder
	rep.writeMarkdown(&md)
	if err := os.WriteFile(cfg.MD, []byte(md.String()), 0o644); err != nil {
		return err
	}
	f, err := os.Create(cfg.SVG)
	if err != nil {
		return err
	}
	if err := errors.Join(writeOverloadSVG(f, rep), f.Close()); err != nil {
		return err
	}
	if cfg.JSONOut == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(cfg.JSONOut, append(b, '\n'), 0o644)
}
