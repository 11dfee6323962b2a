package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic/internal/bench"
)

// TestBenchSkewedSmoke runs bffctl bench's skewed pass alone for a few
// seconds on built binaries, with two variants of mosaic that exist
// whatever cmd/bff's flags (the second only raises a limit), and checks
// that every implementation was measured on every scene, interleaved, and
// that the report, its chart and issue 12's targets were written.
func TestBenchSkewedSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries and runs four servers for seconds")
	}
	bin, dir := built(t), t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// bench runs floor and naive by re-executing its own binary, so it
	// runs here as a process of its own.
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "bffctl"), "bench", "-bff-binary", filepath.Join(bin, "bff"),
		"-passes", "skewed", "-scenes", "feed,user", "-variants", "mosaic;mosaic-b:-max-inflight=50000",
		"-duration", "250ms", "-open-duration", "400ms", "-warmup", "50ms", "-concurrency", "8", "-skewed-rounds", "2", "-out", dir)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr.String())
	}
	var rep bench.Report
	b, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	checkSkewedSmoke(t, rep)
	md, err := os.ReadFile(filepath.Join(dir, "bench.md"))
	if err != nil || !strings.Contains(string(md), "### Skewed pass: mosaic / floor") || strings.Contains(string(md), "### Latency pass") {
		t.Errorf("Markdown (%v):\n%s", err, md)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "bench-skewed.svg"))
	if err != nil {
		t.Fatal(err)
	}
	svgWellFormed(t, svg)
	if _, err := os.Stat(filepath.Join(dir, "bench.svg")); err == nil {
		t.Error("bench.svg written with no latency pass")
	}
	if !strings.Contains(stdout.String(), "bench-skewed.svg") {
		t.Errorf("stdout does not say what it wrote:\n%s", stdout.String())
	}
}

// checkSkewedSmoke checks the skewed pass's results in the JSON report.
func checkSkewedSmoke(t *testing.T, rep bench.Report) {
	t.Helper()
	s := rep.Skewed
	if s == nil || strings.Join(s.Impls, ",") != "mosaic,mosaic-b,floor,naive" || len(s.Results) != 8 {
		t.Fatalf("skewed pass: %+v", s)
	}
	perScreen := map[string]float64{}
	for _, x := range s.Results {
		calls, shared, _ := x.PerScreen()
		perScreen[x.Impl+" "+x.Scene] = calls
		if len(x.RoundRPS) != 2 || x.Screens == 0 || x.OpenRequests == 0 || x.P50ms <= 0 || x.MaxRSSMB <= 0 || shared <= 0 || x.Errors != 0 {
			t.Errorf("%s %s: %+v", x.Impl, x.Scene, x)
		}
	}
	// The floor makes its batched calls per screen; naive one per item.
	if perScreen["floor feed"] != 5 || perScreen["naive feed"] <= 5 {
		t.Errorf("calls per screen: %v", perScreen)
	}
	n := 0
	for _, tg := range rep.Targets {
		if tg.Issue == 12 {
			n++
		}
	}
	if n == 0 {
		t.Error("no target of issue 12 in the report")
	}
}
