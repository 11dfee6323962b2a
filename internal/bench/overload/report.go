package overload

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic/internal/bench/host"
	"mosaic/internal/bench/report"
)

// ProbeStep is one closed-loop probe (Workers) or open-loop ramp step
// (Offered) for the saturation.
type ProbeStep struct {
	Workers int           `json:"workers,omitempty"`
	Offered float64       `json:"offered_rps,omitempty"`
	Goodput float64       `json:"goodput_rps"`
	Summary AttackSummary `json:"answers"`
}

// Phase is one open-loop load.
type Phase struct {
	Mult    float64       `json:"load"`                // of the saturation
	Round   int           `json:"round"`               // from 1
	Again   bool          `json:"run_again,omitempty"` // after the last round, in place of one set aside (Report.Rerun)
	Summary AttackSummary `json:"answers"`
	Goodput float64       `json:"goodput_rps"`
	Ratio   float64       `json:"goodput_ratio_to_best"`
	Server  serverDelta   `json:"server"`
	CPU     host.CPUUsage `json:"cpu_percent"`
	// Limit and InFlight are the BFF's admission limit and its scene
	// requests in flight, sampled every gaugeEvery through the phase.
	Limit    GaugeStats `json:"admission_limit"`
	InFlight GaugeStats `json:"in_flight"`
}

// Check is one criterion of issue 9's first done-when point, or a
// condition for the run to mean anything.
type Check struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// Report is everything an overload run found.
type Report struct {
	Machine       string      `json:"machine"`
	LoadAvgStart  string      `json:"loadavg_start"` // 1, 5, 15 minutes: other work on the machine
	LoadAvgEnd    string      `json:"loadavg_end"`
	Command       string      `json:"command"`
	Pinning       string      `json:"pinning"`
	URL           string      `json:"url"`
	Scene         string      `json:"scene"`
	Device        string      `json:"device"`
	MockLatency   string      `json:"mock_latency"`
	Deadline      string      `json:"scene_deadline"`
	PhaseDuration string      `json:"phase_duration"`
	Timeout       string      `json:"client_timeout"`
	BFFFlags      string      `json:"bff_flags,omitempty"`
	Probe         []ProbeStep `json:"probe,omitempty"`
	Ramp          []ProbeStep `json:"ramp,omitempty"`
	Saturation    float64     `json:"saturation_rps"`      // offered loads are multiples of it
	Best          float64     `json:"best_goodput_rps"`    // the highest load's mean; see finish
	BestLoad      float64     `json:"best_load,omitempty"` // the load it is the mean of
	Phases        []Phase     `json:"phases"`
	// Rerun are phases set aside because the generator fell behind its
	// schedule while the BFF failed nothing: a measure of the rig, not of
	// the BFF. Each ran again after the last round (Phase.Again), at most
	// Rounds of them; a phase late again is kept, and fails the rig's
	// check. Their breaker activity still counts.
	Rerun       []Phase       `json:"rerun,omitempty"`
	Loads       []LoadSummary `json:"loads"`
	Checks      []Check       `json:"checks"`
	WallSeconds float64       `json:"wall_seconds"`

	deadline time.Duration
}

// mult prints a load multiple: 0.5×, 2×.
func mult(m float64) string { return strconv.FormatFloat(m, 'g', -1, 64) + "×" }

// cpuNames are the CPUs the phases report on, in order.
func (rep *Report) cpuNames() []string {
	set := map[string]bool{}
	for _, p := range rep.Phases {
		for name := range p.CPU.CPUs {
			set[name] = true
		}
	}
	names := slices.SortedFunc(maps.Keys(set), func(a, b string) int {
		return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) // cpu2 before cpu10
	})
	return names[:min(len(names), 4)]
}

// pct prints a percentage that may be missing.
func pct(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// stepTable is a table of the steps that looked for the saturation, each
// labelled by what it was (workers, offered rate).
func stepTable(title, note, label string, steps []ProbeStep, labelOf func(ProbeStep) string) report.Table {
	t := report.Table{Title: title, Note: note, Headers: []string{label, "screens/s", "p50 ms", "p99 ms", "sent", "not whole"}, Labels: 1}
	for _, s := range steps {
		t.Rows = append(t.Rows, []string{labelOf(s), report.Num(s.Goodput), report.Num(s.Summary.P50ms), report.Num(s.Summary.P99ms),
			strconv.Itoa(s.Summary.Sent), strconv.Itoa(s.Summary.Sent - s.Summary.OK + s.Summary.Partial)})
	}
	return t
}

func (rep *Report) tables() []report.Table {
	var out []report.Table
	if len(rep.Probe) > 0 {
		out = append(out, stepTable("Saturation probe (closed loop)", "each a closed loop of that many workers; screens: 200s listing no degraded section; the saturation is the best screens/s of any (it sets the rate of each load; the checks compare loads with loads)",
			"workers", rep.Probe, func(s ProbeStep) string { return strconv.Itoa(s.Workers) }))
	}
	if len(rep.Ramp) > 0 {
		out = append(out, stepTable("Saturation ramp (open loop)", "offered at multiples of the probe's best; the saturation is the best screens/s of probe and ramp",
			"offered/s", rep.Ramp, func(s ProbeStep) string { return report.Num(s.Offered) }))
	}
	load := report.Table{
		Title: fmt.Sprintf("Open-loop load: %s %s, %s each", rep.Device, rep.Scene, rep.PhaseDuration),
		Note: fmt.Sprintf("saturation %.0f req/s (the probe's best step, the rate 1× offers), best goodput %.0f req/s (the highest load's mean over its rounds); offered: the rate asked of the generator; sent/s: the rate it achieved over its send span (lower when it fell behind, see gen lag); goodput (screens/s): 200s listing no degraded section, over that same span; 200 degraded: 200s that listed one, not goodput; p50/p99 of all the 200s from each request's scheduled send; "+
			"shed: 503 with Retry-After and no failed section; scene: 503 naming the section that failed; other: any other status or no answer (client timeout %s)",
			rep.Saturation, rep.Best, rep.Timeout),
		Headers: []string{"load", "offered/s", "sent/s", "sent", "screens/s", "of best", "p50 ms", "p99 ms", "200 degraded", "503 shed", "503 scene", "504", "other", "gen lag p99 ms"},
		Labels:  1,
	}
	for _, p := range rep.Phases {
		s := p.Summary
		load.Rows = append(load.Rows, []string{rep.phaseLabel(p), report.Num(s.Rate), report.Num(perSecond(s.Sent, s)), strconv.Itoa(s.Sent), report.Num(p.Goodput),
			fmt.Sprintf("%.0f%%", 100*p.Ratio), report.Num(s.P50ms), report.Num(s.P99ms), strconv.Itoa(s.Partial), strconv.Itoa(s.Shed), strconv.Itoa(s.Scene503),
			strconv.Itoa(s.GW504), strconv.Itoa(s.Other), report.Num(s.LagP99ms)})
	}
	out = append(out, load)
	if t := rep.rerunTable(); t != nil {
		out = append(out, *t)
	}
	if t := rep.loadsTable(); t != nil {
		out = append(out, *t)
	}

	cpus := rep.cpuNames()
	inside := report.Table{
		Title: "Inside the BFF, and CPU use",
		Note: "limit and in flight: the BFF's admission limit and its scene requests in flight (bff_admission_limit, bff_http_requests_in_flight), sampled every " + gaugeEvery.String() + " through the phase; " +
			"the rest from the BFF's /metrics before and after each phase: downstream calls refused by a breaker (code circuit_open) or throttle, other failed downstream calls, " +
			"degraded sections (all reasons, and circuit_open), circuit_open sections counted in the 200 bodies, and connections the BFF accepted (bff_http_connections_total); CPU in % of one core, of each process " +
			"(/proc/PID/stat) and of each CPU by anything, other engineers' work included (/proc/stat)",
		Headers: []string{"load", "limit min/med/max", "in flight min/med/max", "refused calls", "failed calls", "degraded", "of which circuit_open", "circuit_open in bodies", "conns opened", "bff %", "gateway %", "mocksvc %", "generator %"},
		Labels:  1,
	}
	for _, c := range cpus {
		inside.Headers = append(inside.Headers, c+" busy %")
	}
	for _, p := range rep.Phases {
		d := p.Server
		row := []string{rep.phaseLabel(p), p.Limit.String(), p.InFlight.String(), strconv.Itoa(d.Refused), strconv.Itoa(sumValues(d.DownstreamFailures)), strconv.Itoa(sumValues(d.Degraded)),
			strconv.Itoa(countReason(d.Degraded, codeCircuitOpen)), strconv.Itoa(countReason(p.Summary.Degraded, codeCircuitOpen)), strconv.Itoa(d.Connections),
			pct(p.CPU.Procs, "bff"), pct(p.CPU.Procs, "gateway"), pct(p.CPU.Procs, "mocksvc"), pct(p.CPU.Procs, "generator")}
		for _, c := range cpus {
			row = append(row, pct(p.CPU.CPUs, c))
		}
		inside.Rows = append(inside.Rows, row)
	}
	return append(out, inside)
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// countReason sums the "section reason" entries with that reason.
func countReason(m map[string]int, reason string) int {
	n := 0
	for k, v := range m {
		if strings.HasSuffix(k, " "+reason) {
			n += v
		}
	}
	return n
}

// top lists a breakdown's largest entries: `detail` n, ...
func top[V int | float64](m map[string]V, n int) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	parts := make([]string, 0, n)
	for i, k := range keys {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("`%s` %v", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// breakdown is one line per phase that had failures or breaker activity.
func (rep *Report) breakdown() []string {
	var out []string
	for _, p := range rep.Phases {
		var parts []string
		add := func(label, list string) {
			if list != "" {
				parts = append(parts, label+": "+list)
			}
		}
		add("answers", top(p.Summary.Failures, 5))
		add("downstream failures", top(p.Server.DownstreamFailures, 5))
		add("degraded", top(p.Server.Degraded, 5))
		add("breaker/throttle counters", top(p.Server.BreakerCounters, 5))
		add("breaker/throttle gauges at the end", top(p.Server.BreakerGauges, 5))
		if len(parts) > 0 {
			out = append(out, rep.phaseLabel(p)+": "+strings.Join(parts, "; "))
		}
	}
	return out
}

func (rep *Report) header(w io.Writer, md bool) {
	code := func(s string) string {
		if md {
			return "`" + s + "`"
		}
		return s
	}
	fmt.Fprintf(w, "Machine: %s; load average %s at the start, %s at the end. %s.\n", rep.Machine, rep.LoadAvgStart, rep.LoadAvgEnd, rep.Pinning)
	fmt.Fprintf(w, "Command: %s (wall %.0fs). Target %s %s, %s per downstream call (mocksvc), scene deadline %s",
		code(rep.Command), rep.WallSeconds, rep.Device, rep.Scene, rep.MockLatency, rep.Deadline)
	if rep.BFFFlags != "" {
		fmt.Fprintf(w, ", BFF flags %s", code(rep.BFFFlags))
	}
	fmt.Fprintln(w, ".")
}

func checkMark(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

// layout is how the report prints: as Markdown or for a terminal.
type layout struct {
	markdown  bool
	checks    string // the checks' heading
	check     string // a check: its mark, name and detail
	breakdown string // the breakdown's heading, when there is one
	line      string // a line of the breakdown
}

// render prints the header, the tables, the checks and the breakdown.
func (rep *Report) render(w io.Writer, l layout) {
	rep.header(w, l.markdown)
	for _, t := range rep.tables() {
		if l.markdown {
			t.Markdown(w)
		} else {
			t.Text(w)
		}
	}
	fmt.Fprint(w, l.checks)
	for _, c := range rep.Checks {
		fmt.Fprintf(w, l.check, checkMark(c.Pass), c.Name, c.Detail)
	}
	b := rep.breakdown()
	if len(b) > 0 {
		fmt.Fprint(w, l.breakdown)
	}
	for _, line := range b {
		fmt.Fprintf(w, l.line, line)
	}
}

// writeMarkdown renders the report for BENCHMARKS.md.
func (rep *Report) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "## Overload: %s %s at", rep.Device, rep.Scene)
	for i, l := range rep.Loads {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(w, "%s %s", sep, mult(l.Mult))
	}
	fmt.Fprint(w, " of saturation")
	if rep.repeated() {
		fmt.Fprintf(w, ", in %d rounds", slices.MaxFunc(rep.Loads, func(a, b LoadSummary) int { return cmp.Compare(a.Phases, b.Phases) }).Phases)
	}
	fmt.Fprint(w, "\n\n")
	rep.render(w, layout{markdown: true, checks: "\n### Checks (issue 9, done when 1)\n\n", check: "- **%s** %s: %s\n",
		breakdown: "\n### Failures and breaker activity by load\n\n", line: "- %s\n"})
}

// writeText prints the report for a terminal.
func (rep *Report) writeText(w io.Writer) {
	fmt.Fprintln(w, "mosaic overload")
	rep.render(w, layout{checks: "\nChecks (issue 9, done when 1)\n", check: "  %s %s: %s\n", line: "  %s\n"})
}
