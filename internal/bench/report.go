package bench

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

	"mosaic/internal/bench/report"
	"mosaic/internal/bench/workload"
)

// tables builds every table of the report, in order.
func (r *Report) tables() []report.Table {
	if len(r.Results) == 0 {
		return r.skewTables()
	}
	out := r.sceneTables()
	mem := report.Table{Title: "Memory", Note: "largest VmRSS of each server process, sampled every 100ms over both passes", Headers: []string{"impl", "max RSS MB"}, Labels: 1}
	for _, impl := range r.cfg.Impls {
		mem.Rows = append(mem.Rows, []string{impl, report.Num(r.MaxRSSMB[impl])})
	}
	out = append(out, mem)
	if slices.Contains(r.cfg.Impls, Mosaic) && slices.Contains(r.cfg.Impls, Floor) {
		out = append(out, r.ratioTable())
	}
	return append(out, r.skewTables()...)
}

// sceneTables are the tables with a row per scene and implementation.
func (r *Report) sceneTables() []report.Table {
	cfg := r.cfg
	lat := report.Table{
		Title:   fmt.Sprintf("Latency pass: %s per downstream call, web, ps=%d", r.Latency, r.LoadPS),
		Note:    fmt.Sprintf("idle: one request at a time; saturation: %d closed-loop workers for %v; latency: open loop at %.2g of saturation for %v, measured from each request's scheduled send time", r.Concurrency, cfg.Duration, r.Fraction, cfg.OpenDur),
		Headers: []string{"scene", "impl", "idle p50 ms", "sat req/s", "load req/s", "requests", "p50 ms", "p99 ms", "p99.9 ms"},
	}
	cost := report.Table{
		Title:   fmt.Sprintf("Cost pass: no downstream latency, web, ps=%d", r.LoadPS),
		Note:    fmt.Sprintf("saturation: %d closed-loop workers, the best of %d rounds of %v interleaved across the implementations; CPU time and allocations per request over all rounds, read from each server's /metrics; calls counted at the mocks", r.Concurrency, cfg.Rounds, cfg.Duration),
		Headers: []string{"scene", "impl", "sat req/s", "CPU ms/req", "allocs/req", "calls/req"},
	}
	calls := report.Table{
		Title:   "Downstream calls per request",
		Note:    "counted at the mock downstreams, viewer 42; the video page has no page size",
		Headers: []string{"scene", "impl"},
	}
	for _, ps := range r.PS {
		calls.Headers = append(calls.Headers, fmt.Sprintf("ps=%d", ps))
	}
	bytesT := report.Table{
		Title:   fmt.Sprintf("Response bytes by device (ps=%d, clamped to each device's max)", r.LoadPS),
		Note:    "floor and naive answer one web-like shape whatever the device",
		Headers: append([]string{"scene", "impl"}, workload.Devices()...),
	}
	for _, scene := range cfg.Scenes {
		for _, impl := range cfg.Impls {
			if x := r.find(impl, scene); x != nil {
				lat.Rows = append(lat.Rows, []string{scene, impl, report.Num(x.IdleP50ms), report.Num(x.SatRPSLatency), report.Num(x.OpenRPS), strconv.Itoa(x.OpenRequests), report.Num(x.P50ms), report.Num(x.P99ms), report.Num(x.P999ms)})
				cost.Rows = append(cost.Rows, []string{scene, impl, report.Num(x.SatRPS), report.Num(x.CPUmsPerReq), report.Num(x.AllocsPerReq), report.Num(x.LoadCallsPerReq)})
				calls.Rows = append(calls.Rows, append([]string{scene, impl}, r.callCells(x)...))
				bytesT.Rows = append(bytesT.Rows, append([]string{scene, impl}, byteCells(x)...))
			}
		}
	}
	return []report.Table{lat, cost, calls, bytesT}
}

// callCells are x's calls per request at each page size.
func (r *Report) callCells(x *Result) []string {
	var row []string
	for _, ps := range r.PS {
		v, ok := x.CallsPerReq[psKey(x.Scene, ps)]
		if !ok {
			v = math.NaN()
		}
		row = append(row, report.Num(v))
	}
	return row
}

// byteCells are the bytes each device received of x's scene.
func byteCells(x *Result) []string {
	var row []string
	for _, d := range workload.Devices() {
		if n, ok := x.Bytes[d]; ok {
			row = append(row, strconv.Itoa(n))
		} else {
			row = append(row, "-")
		}
	}
	return row
}

// ratioTable compares mosaic with the floor, scene by scene.
func (r *Report) ratioTable() report.Table {
	rat := report.Table{
		Title: "mosaic / floor, no downstream latency",
		Note: fmt.Sprintf("throughput: the median over the rounds of mosaic's req/s over the floor's in the same round, higher is better (target >= %v); CPU and allocations per request: lower is better (allocations target <= %v)",
			boundOf(throughput), boundOf(allocs)),
		Headers: []string{"scene", "throughput", "CPU/req", "allocs/req", "p50 at " + r.Latency, "p99 at " + r.Latency},
		Labels:  1,
	}
	for _, scene := range r.cfg.Scenes {
		m, f := r.find(Mosaic, scene), r.find(Floor, scene)
		if m == nil || f == nil {
			continue
		}
		rat.Rows = append(rat.Rows, []string{scene,
			report.Num(pairedRatio(m.RoundRPS, f.RoundRPS)), report.Num(report.Ratio(m.CPUmsPerReq, f.CPUmsPerReq)), report.Num(report.Ratio(m.AllocsPerReq, f.AllocsPerReq)),
			report.Num(report.Ratio(m.P50ms, f.P50ms)), report.Num(report.Ratio(m.P99ms, f.P99ms))})
	}
	return rat
}

// writeText prints the report for a terminal.
func writeText(w io.Writer, r *Report) {
	fmt.Fprintf(w, "mosaic bench: %s\n", r.Machine)
	fmt.Fprintf(w, "video %d, user %d, viewer %d; wall time %.0fs\n", r.Video, r.User, workload.Viewer, r.WallSeconds)
	for _, t := range r.tables() {
		t.Text(w)
	}
	fmt.Fprintln(w, "\nTargets (issue.target)")
	for _, t := range r.Targets {
		fmt.Fprintf(w, "  %-4s %d.%d %s: %s\n", t.Status, t.Issue, t.N, t.Name, t.Detail)
	}
	for _, x := range r.Results {
		if x.Errors > 0 {
			fmt.Fprintf(w, "ERRORS %s %s: %d failed requests, first: %s\n", x.Impl, x.Scene, x.Errors, x.FirstError)
		}
	}
}

func writeMarkdown(w io.Writer, r *Report) {
	fmt.Fprintf(w, "## bffctl bench\n\n")
	fmt.Fprintf(w, "- machine: %s\n- command: `%s`\n- video %d, user %d, viewer %d; wall time %.0fs\n", r.Machine, strings.TrimSpace(r.Command), r.Video, r.User, workload.Viewer, r.WallSeconds)
	if len(r.Results) > 0 {
		fmt.Fprintf(w, "\n![latency percentiles](bench.svg)\n")
	}
	if r.Skewed != nil {
		fmt.Fprintf(w, "\n![skewed pass: throughput and latency](bench-skewed.svg)\n")
	}
	for _, t := range r.tables() {
		t.Markdown(w)
	}
	fmt.Fprintf(w, "\n### Targets (issue.target)\n\n| | target | measured |\n|---|---|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(w, "| %s | %d.%d %s | %s |\n", t.Status, t.Issue, t.N, t.Name, t.Detail)
	}
}

// writeReports writes bench.md, bench.json, and the charts of the passes
// made (bench.svg, bench-skewed.svg) into dir.
func writeReports(dir string, r *Report) error {
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
	if len(r.Results) > 0 {
		var svg strings.Builder
		if err := writeSVG(&svg, latencyChart(r)); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "bench.svg"), []byte(svg.String()), 0o644); err != nil {
			return err
		}
	}
	if r.Skewed != nil {
		var svg strings.Builder
		title, charts := skewCharts(r)
		if err := writeCharts(&svg, title, charts...); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "bench-skewed.svg"), []byte(svg.String()), 0o644)
	}
	return nil
}

// latencyChart is the chart of the latency pass's percentiles.
func latencyChart(r *Report) chart {
	c := chart{
		title:  fmt.Sprintf("Latency at %.2g of saturation, %s per downstream call (web, ps=%d)", r.Fraction, r.Latency, r.LoadPS),
		groups: r.cfg.Scenes,
		series: r.cfg.Impls,
	}
	for _, scene := range r.cfg.Scenes {
		for _, impl := range r.cfg.Impls {
			if x := r.find(impl, scene); x != nil && x.OpenRequests > 0 {
				c.values = append(c.values, chartValue{group: scene, series: impl, v: []float64{x.P50ms, x.P99ms, x.P999ms}})
			}
		}
	}
	return c
}
