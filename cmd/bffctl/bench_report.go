package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// table is one table of the report, rendered as text or Markdown.
type table struct {
	title   string
	note    string
	headers []string
	rows    [][]string
	labels  int // leading label columns, left-aligned in Markdown; 0 means 2
}

func (t table) text(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", t.title)
	if t.note != "" {
		fmt.Fprintf(w, "(%s)\n", t.note)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(t.headers, "\t")+"\t")
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	tw.Flush()
}

func (t table) markdown(w io.Writer) {
	fmt.Fprintf(w, "\n### %s\n\n", t.title)
	if t.note != "" {
		fmt.Fprintf(w, "%s\n\n", t.note)
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(t.headers, " | "))
	align := make([]string, len(t.headers))
	for i := range align {
		align[i] = "---:"
		labels := t.labels
		if labels == 0 {
			labels = 2
		}
		if i < labels {
			align[i] = "---"
		}
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(align, "|"))
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}

// num formats a measurement with sensible precision; NaN and 0 of a
// missing measurement print as "-".
func num(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "-"
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 0.1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// tables builds every table of the report, in order.
func (r *report) tables() []table {
	cfg := r.cfg
	var out []table

	lat := table{
		title:   fmt.Sprintf("Latency pass: %s per downstream call, web, ps=%d", r.Latency, r.LoadPS),
		note:    fmt.Sprintf("idle: one request at a time; saturation: %d closed-loop workers for %v; latency: open loop at %.2g of saturation for %v, measured from each request's scheduled send time", r.Concurrency, cfg.duration, r.Fraction, cfg.openDur),
		headers: []string{"scene", "impl", "idle p50 ms", "sat req/s", "load req/s", "requests", "p50 ms", "p99 ms", "p99.9 ms"},
	}
	cost := table{
		title:   fmt.Sprintf("Cost pass: no downstream latency, web, ps=%d", r.LoadPS),
		note:    fmt.Sprintf("saturation: %d closed-loop workers, the best of %d rounds of %v interleaved across the implementations; CPU time and allocations per request over all rounds, read from each server's /metrics; calls counted at the mocks", r.Concurrency, cfg.rounds, cfg.duration),
		headers: []string{"scene", "impl", "sat req/s", "CPU ms/req", "allocs/req", "calls/req"},
	}
	calls := table{
		title: "Downstream calls per request",
		note:  "counted at the mock downstreams, viewer 42; the video page has no page size",
	}
	calls.headers = []string{"scene", "impl"}
	for _, ps := range r.PS {
		calls.headers = append(calls.headers, fmt.Sprintf("ps=%d", ps))
	}
	bytesT := table{
		title:   fmt.Sprintf("Response bytes by device (ps=%d, clamped to each device's max)", r.LoadPS),
		note:    "floor and naive answer one web-like shape whatever the device",
		headers: []string{"scene", "impl", "app", "pad", "web", "mini"},
	}
	for _, scene := range cfg.scenes {
		for _, impl := range cfg.impls {
			x := r.find(impl, scene)
			if x == nil {
				continue
			}
			lat.rows = append(lat.rows, []string{scene, impl, num(x.IdleP50ms), num(x.SatRPSLatency), num(x.OpenRPS), strconv.Itoa(x.OpenRequests), num(x.P50ms), num(x.P99ms), num(x.P999ms)})
			cost.rows = append(cost.rows, []string{scene, impl, num(x.SatRPS), num(x.CPUmsPerReq), num(x.AllocsPerReq), num(x.LoadCallsPerReq)})
			row := []string{scene, impl}
			for _, ps := range r.PS {
				key := strconv.Itoa(ps)
				if scene == sceneVideo {
					key = "-"
				}
				v, ok := x.CallsPerReq[key]
				if !ok {
					v = math.NaN()
				}
				row = append(row, num(v))
			}
			calls.rows = append(calls.rows, row)
			row = []string{scene, impl}
			for _, d := range []string{"app", "pad", "web", "mini"} {
				if n, ok := x.Bytes[d]; ok {
					row = append(row, strconv.Itoa(n))
				} else {
					row = append(row, "-")
				}
			}
			bytesT.rows = append(bytesT.rows, row)
		}
	}
	out = append(out, lat, cost, calls, bytesT)

	mem := table{title: "Memory", note: "largest VmRSS of each server process, sampled every 100ms over both passes", headers: []string{"impl", "max RSS MB"}, labels: 1}
	for _, impl := range cfg.impls {
		mem.rows = append(mem.rows, []string{impl, num(r.MaxRSSMB[impl])})
	}
	out = append(out, mem)

	if hasBoth(cfg.impls) {
		rat := table{
			title:   "mosaic / floor, no downstream latency",
			note:    "throughput: the median over the rounds of mosaic's req/s over the floor's in the same round, higher is better (target >= 0.8); CPU and allocations per request: lower is better (allocations target <= 1.5)",
			headers: []string{"scene", "throughput", "CPU/req", "allocs/req", "p50 at 10ms", "p99 at 10ms"},
			labels:  1,
		}
		for _, scene := range cfg.scenes {
			m, f := r.find(implMosaic, scene), r.find(implFloor, scene)
			if m == nil || f == nil {
				continue
			}
			rat.rows = append(rat.rows, []string{scene,
				num(pairedRatio(m.RoundRPS, f.RoundRPS)), num(ratio(m.CPUmsPerReq, f.CPUmsPerReq)), num(ratio(m.AllocsPerReq, f.AllocsPerReq)),
				num(ratio(m.P50ms, f.P50ms)), num(ratio(m.P99ms, f.P99ms))})
		}
		rat.headers[4] = "p50 at " + r.Latency
		rat.headers[5] = "p99 at " + r.Latency
		out = append(out, rat)
	}
	return out
}

func hasBoth(impls []string) bool {
	m, f := false, false
	for _, i := range impls {
		m = m || i == implMosaic
		f = f || i == implFloor
	}
	return m && f
}

// writeText prints the report for a terminal.
func writeText(w io.Writer, r *report) {
	fmt.Fprintf(w, "mosaic bench: %s\n", r.Machine)
	fmt.Fprintf(w, "video %d, user %d, viewer %d; wall time %.0fs\n", r.Video, r.User, benchViewer, r.WallSeconds)
	for _, t := range r.tables() {
		t.text(w)
	}
	fmt.Fprintln(w, "\nTargets (issue 5)")
	for _, t := range r.Targets {
		fmt.Fprintf(w, "  %-4s %d. %s: %s\n", t.Status, t.N, t.Name, t.Detail)
	}
	for _, x := range r.Results {
		if x.Errors > 0 {
			fmt.Fprintf(w, "ERRORS %s %s: %d failed requests, first: %s\n", x.Impl, x.Scene, x.Errors, x.FirstError)
		}
	}
}

func writeMarkdown(w io.Writer, r *report) {
	fmt.Fprintf(w, "## bffctl bench\n\n")
	fmt.Fprintf(w, "- machine: %s\n- command: `%s`\n- video %d, user %d, viewer %d; wall time %.0fs\n", r.Machine, strings.TrimSpace(r.Command), r.Video, r.User, benchViewer, r.WallSeconds)
	fmt.Fprintf(w, "\n![latency percentiles](bench.svg)\n")
	for _, t := range r.tables() {
		t.markdown(w)
	}
	fmt.Fprintf(w, "\n### Targets (issue 5)\n\n| | target | measured |\n|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(w, "| %s | %d. %s | %s |\n", t.Status, t.N, t.Name, t.Detail)
	}
}

// writeReports writes bench.md, bench.json and bench.svg into dir.
func writeReports(dir string, r *report) error {
	var md strings.Builder
	writeMarkdown(&md, r)
	if err := os.WriteFile(filepath.Join(dir, "bench.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	var svg strings.Builder
	if err := writeSVG(&svg, latencyChart(r)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bench.svg"), []byte(svg.String()), 0o644)
}

// latencyChart is the chart of the latency pass's percentiles.
func latencyChart(r *report) chart {
	c := chart{
		title:  fmt.Sprintf("Latency at %.2g of saturation, %s per downstream call (web, ps=%d)", r.Fraction, r.Latency, r.LoadPS),
		groups: r.cfg.scenes,
		series: r.cfg.impls,
	}
	for _, scene := range r.cfg.scenes {
		for _, impl := range r.cfg.impls {
			if x := r.find(impl, scene); x != nil && x.OpenRequests > 0 {
				c.values = append(c.values, chartValue{group: scene, series: impl, v: [3]float64{x.P50ms, x.P99ms, x.P999ms}})
			}
		}
	}
	return c
}

// Target statuses.
const (
	statusPass = "PASS"
	statusFail = "FAIL"
	statusSkip = "SKIP"
)

// target is one checked condition of issue 5.
type target struct {
	N      int    `json:"n"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

func status(ok bool) string {
	if ok {
		return statusPass
	}
	return statusFail
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.01 }

// checkTargets evaluates the four targets of issue 5 on what was measured.
func checkTargets(r *report) []target {
	var out []target
	skip := func(n int, name, why string) { out = append(out, target{n, name, statusSkip, why}) }
	psKey := func(scene string, ps int) string {
		if scene == sceneVideo {
			return "-"
		}
		return strconv.Itoa(ps)
	}

	// 1. Downstream calls per request.
	want := map[string]float64{sceneFeed: 5, sceneVideo: 6, sceneUser: 6}
	for _, scene := range allScenes() {
		name := fmt.Sprintf("mosaic %s makes %v downstream calls per request at every page size", scene, want[scene])
		m := r.find(implMosaic, scene)
		if m == nil || len(m.CallsPerReq) == 0 {
			skip(1, name, "not measured")
			continue
		}
		ok := true
		var got []string
		for _, ps := range r.PS {
			v, have := m.CallsPerReq[psKey(scene, ps)]
			ok = ok && have && near(v, want[scene])
			got = append(got, fmt.Sprintf("ps=%d: %s", ps, num(v)))
			if scene == sceneVideo {
				got = []string{num(v) + " (no page size)"}
			}
		}
		out = append(out, target{1, name, status(ok), strings.Join(got, ", ")})
	}
	for _, scene := range []string{sceneFeed, sceneUser} {
		name := fmt.Sprintf("naive %s calls grow with the page size", scene)
		n := r.find(implNaive, scene)
		if n == nil || len(n.CallsPerReq) == 0 || len(r.PS) < 2 {
			skip(1, name, "needs naive and two page sizes")
			continue
		}
		ok := true
		var got []string
		for i, ps := range r.PS {
			v := n.CallsPerReq[psKey(scene, ps)]
			got = append(got, fmt.Sprintf("ps=%d: %s", ps, num(v)))
			if i > 0 && (ps > r.PS[i-1]) != (v > n.CallsPerReq[psKey(scene, r.PS[i-1])]) {
				ok = false
			}
		}
		out = append(out, target{1, name, status(ok), strings.Join(got, ", ")})
	}

	// 2. Latency at 10ms per call, at half of saturation.
	for _, c := range []struct {
		scene     string
		p50, p99  float64 // ms; 0: no bound
		condition string
	}{
		{sceneFeed, 32, 40, "feed p50 <= 32ms and p99 <= 40ms"},
		{sceneUser, 22, 0, "user p50 <= 22ms"},
	} {
		name := fmt.Sprintf("%s at %.2g of saturation, 10ms per call", c.condition, r.Fraction)
		m := r.find(implMosaic, c.scene)
		switch {
		case r.cfg.latency != 10_000_000:
			skip(2, name, "needs -mock-latency 10ms, ran "+r.Latency)
			continue
		case m == nil || m.OpenRequests == 0:
			skip(2, name, "not measured")
			continue
		}
		ok := m.P50ms <= c.p50 && (c.p99 == 0 || m.P99ms <= c.p99)
		detail := fmt.Sprintf("p50 %sms, p99 %sms at %s req/s; idle p50 %sms", num(m.P50ms), num(m.P99ms), num(m.OpenRPS), num(m.IdleP50ms))
		if f := r.find(implFloor, c.scene); f != nil && f.OpenRequests > 0 {
			detail += fmt.Sprintf(" (floor: p50 %sms, p99 %sms at %s req/s; idle p50 %sms)", num(f.P50ms), num(f.P99ms), num(f.OpenRPS), num(f.IdleP50ms))
		}
		if r.HopP50ms > 0 {
			chain := map[string]float64{sceneFeed: 3, sceneUser: 2}[c.scene]
			detail += fmt.Sprintf("; one bare 10ms call costs p50 %sms here, so the chain of %.0f alone takes %sms", num(r.HopP50ms), chain, num(chain*r.HopP50ms))
		}
		out = append(out, target{2, name, status(ok), detail})
	}

	// 3. Throughput and allocations against the floor, no latency.
	for _, scene := range allScenes() {
		m, f := r.find(implMosaic, scene), r.find(implFloor, scene)
		tName := fmt.Sprintf("%s throughput >= 0.8 x floor", scene)
		aName := fmt.Sprintf("%s allocations <= 1.5 x floor", scene)
		if m == nil || f == nil || m.SatRPS == 0 || f.SatRPS == 0 {
			skip(3, tName, "needs mosaic and floor")
			skip(3, aName, "needs mosaic and floor")
			continue
		}
		// Rounds are interleaved (mosaic, floor, naive, mosaic...), so each
		// round's ratio compares the two under the same machine load; the
		// median of those resists the shared machine's swings better than
		// the ratio of two independent bests.
		tr := pairedRatio(m.RoundRPS, f.RoundRPS)
		out = append(out, target{3, tName, status(tr >= 0.8), fmt.Sprintf("%s x, median of %d rounds (best rounds: mosaic %s, floor %s req/s)", num(tr), min(len(m.RoundRPS), len(f.RoundRPS)), num(m.SatRPS), num(f.SatRPS))})
		ar := ratio(m.AllocsPerReq, f.AllocsPerReq)
		out = append(out, target{3, aName, status(ar <= 1.5), fmt.Sprintf("%s x (mosaic %s, floor %s allocs/req)", num(ar), num(m.AllocsPerReq), num(f.AllocsPerReq))})
	}

	// 4. Memory.
	name := "mosaic RSS under the bench's load < 150 MB"
	if v, ok := r.MaxRSSMB[implMosaic]; ok && v > 0 {
		out = append(out, target{4, name, status(v < 150), fmt.Sprintf("max %s MB", num(v))})
	} else {
		skip(4, name, "not measured (needs mosaic and /proc)")
	}
	return out
}

// pairedRatio is the median over rounds of a[i]/b[i].
func pairedRatio(a, b []float64) float64 {
	var rs []float64
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			rs = append(rs, a[i]/b[i])
		}
	}
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	if n := len(rs); n%2 == 0 {
		return (rs[n/2-1] + rs[n/2]) / 2
	}
	return rs[len(rs)/2]
}
