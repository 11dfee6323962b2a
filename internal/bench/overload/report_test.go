package overload

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic/internal/bench/child"
	"mosaic/internal/bench/host"
	"mosaic/internal/bench/report"
)

const metricsBefore = `# TYPE bff_downstream_calls_total counter
bff_downstream_calls_total{code="OK",method="Recommend",service="feed"} 100
bff_downstream_calls_total{code="DeadlineExceeded",method="Recommend",service="feed"} 2
# TYPE bff_degraded_sections_total counter
bff_degraded_sections_total{reason="timeout",scene="feed",section="owners"} 1
# TYPE bff_http_requests_in_flight gauge
bff_http_requests_in_flight 3
# TYPE bff_http_connections_total counter
bff_http_connections_total 64
# TYPE bff_breaker_transitions_total counter
bff_breaker_transitions_total{service="feed",to="open"} 1
# TYPE bff_downstream_call_duration_seconds histogram
bff_downstream_call_duration_seconds_bucket{method="Recommend",service="feed",le="+Inf"} 102
bff_downstream_call_duration_seconds_sum{method="Recommend",service="feed"} 1.2
bff_downstream_call_duration_seconds_count{method="Recommend",service="feed"} 102
`

// metricsAfter is a phase later: 36 more connections, 50 more OK calls, 3 more deadlines, 7
// refused by the breaker and 4 throttled, two breaker openings, a state
// gauge now 1, a throttle gauge back at 0 and one that stayed at 0.
const metricsAfter = `# TYPE bff_downstream_calls_total counter
bff_downstream_calls_total{code="OK",method="Recommend",service="feed"} 150
bff_downstream_calls_total{code="DeadlineExceeded",method="Recommend",service="feed"} 5
bff_downstream_calls_total{code="circuit_open",method="Recommend",service="feed"} 7
bff_downstream_calls_total{code="Unavailable",method="BatchGetStats",service="stat"} 2
bff_downstream_calls_total{code="throttled",method="BatchGetStats",service="stat"} 4
# TYPE bff_degraded_sections_total counter
bff_degraded_sections_total{reason="timeout",scene="feed",section="owners"} 1
bff_degraded_sections_total{reason="circuit_open",scene="feed",section="stats"} 6
# TYPE bff_http_requests_in_flight gauge
bff_http_requests_in_flight 0
# TYPE bff_http_connections_total counter
bff_http_connections_total 100
# TYPE bff_breaker_transitions_total counter
bff_breaker_transitions_total{service="feed",to="open"} 3
# TYPE bff_breaker_state gauge
bff_breaker_state{service="feed"} 1
# TYPE bff_throttle_ratio gauge
bff_throttle_ratio{service="stat"} 0
bff_downstream_call_duration_seconds_count{method="Recommend",service="feed"} 160
`

func TestDiffSeries(t *testing.T) {
	before, err := parseSeries(strings.NewReader(metricsBefore))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseSeries(strings.NewReader(metricsAfter))
	if err != nil {
		t.Fatal(err)
	}
	if g := after[metricInFlight]; !g.gauge || g.value != 0 || before[metricInFlight].value != 3 {
		t.Errorf("in-flight gauge: %+v then %+v", before[metricInFlight], g)
	}
	got := diffSeries(before, after)
	want := serverDelta{
		Refused:            7 + 4,
		DownstreamFailures: map[string]int{"feed DeadlineExceeded": 3, "stat Unavailable": 2},
		Degraded:           map[string]int{"stats circuit_open": 6},
		Connections:        36,
		BreakerCounters:    map[string]float64{`bff_breaker_transitions_total{service="feed",to="open"}`: 2},
		BreakerGauges:      map[string]float64{`bff_breaker_state{service="feed"}`: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
	if n := got.breakerEvents(); n != 13 {
		t.Errorf("breaker events = %d, want 11 refused + 2 openings", n)
	}
	if n := diffSeries(after, after).breakerEvents(); n != 0 {
		t.Errorf("no change: %d breaker events", n)
	}
	if _, err := parseSeries(strings.NewReader("not { metrics")); err == nil {
		t.Error("parseSeries accepted garbage")
	}
}

func TestChoosePinning(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/taskset", nil }
	missing := func(string) (string, error) { return "", exec.ErrNotFound }

	p := choosePinning(true, "0", "1", found, 2)
	path, args := p.command(p.bffCPU, "/tmp/bff", []string{"-addr", ":0"})
	if path != "/usr/bin/taskset" || !slices.Equal(args, []string{"-c", "0", "/tmp/bff", "-addr", ":0"}) {
		t.Errorf("pinned command = %s %q", path, args)
	}
	if !strings.Contains(p.Note, "CPU 0") || !strings.Contains(p.Note, "CPU 1") {
		t.Errorf("note %q does not say where", p.Note)
	}
	for _, c := range []struct {
		p    pinning
		says string
	}{
		{choosePinning(true, "0", "1", missing, 2), "taskset not found"},
		{choosePinning(true, "0", "1", found, 1), "only 1 CPU"},
		{choosePinning(false, "0", "1", found, 2), "-pin=false"},
	} {
		path, args := c.p.command("1", "/tmp/x", []string{"-a"})
		if path != "/tmp/x" || !slices.Equal(args, []string{"-a"}) || !strings.Contains(c.p.Note, c.says) {
			t.Errorf("unpinned: %s %q, note %q; want /tmp/x [-a] and a note saying %q", path, args, c.p.Note, c.says)
		}
	}
}

func TestMocksvcAnnouncement(t *testing.T) {
	c := &child.Child{}
	parse := mocksvcAnnouncement(c)
	if parse("some other line on 1.2.3.4:5") || c.Base != "" {
		t.Errorf("took an unrelated line: %q", c.Base)
	}
	if !parse("mocksvc serving account,archive,feed,relation,reply,stat on 127.0.0.1:40123 (seed 1)") || c.Base != "127.0.0.1:40123" {
		t.Errorf("address %q, want 127.0.0.1:40123", c.Base)
	}
}

// sampleReport has a saturation of 1000 req/s and four phases: goodput
// holds at 2× (95%) but not at 3× (85%), p99 passes the deadline at 3×,
// the breakers refused calls at 2×, and the generator fell behind at 3×.
func sampleReport() *Report {
	phase := func(m, offered float64, ok, shed, scene, gw, other int, p99, lag float64, refused int) Phase {
		sent := ok + shed + scene + gw + other
		s := AttackSummary{Rate: offered, Sent: sent, SendSeconds: 10, OK: ok, Shed: shed, Scene503: scene, GW504: gw, Other: other,
			P50ms: 30, P99ms: p99, LagP99ms: lag, Failures: map[string]int{}, Degraded: map[string]int{}}
		if scene > 0 {
			s.Failures["recommend circuit_open"] = scene
			s.Degraded["owners circuit_open"] = 2
		}
		return Phase{Mult: m, Summary: s, Goodput: s.goodput(), Server: serverDelta{Refused: refused,
			DownstreamFailures: map[string]int{}, Degraded: map[string]int{}, BreakerCounters: map[string]float64{}, BreakerGauges: map[string]float64{}},
			CPU: host.CPUUsage{Procs: map[string]float64{"bff": 99, "mocksvc": 20}, CPUs: map[string]float64{"cpu0": 100, "cpu1": 70}}}
	}
	rep := &Report{
		Machine: "test box", Pinning: "BFF on CPU 0", Scene: "feed", Device: "web", MockLatency: "10ms", Deadline: "800ms", deadline: 800 * time.Millisecond,
		PhaseDuration: "10s", Timeout: "2s", Saturation: 1000,
		Probe: []ProbeStep{{Workers: 16, Goodput: 900, Summary: AttackSummary{Sent: 1800, OK: 1800}}, {Workers: 32, Goodput: 1000, Summary: AttackSummary{Sent: 2000, OK: 2000}}},
		Ramp:  []ProbeStep{{Offered: 1150, Goodput: 990, Summary: AttackSummary{Sent: 2300, OK: 1980}}},
		Phases: []Phase{
			phase(0.5, 500, 5000, 0, 0, 0, 0, 40, 1, 0),
			phase(1, 1000, 10200, 0, 0, 0, 0, 90, 2, 0), // 1020/s: the best, above the probe's
			phase(2, 2000, 9690, 9000, 1000, 200, 110, 700, 3, 40),
			phase(3, 3000, 8670, 20000, 1000, 200, 130, 900, 80, 0),
		},
	}
	rep.Phases[2].Server.Connections = 12
	rep.Phases[2].Limit = gaugeStats([]float64{120, 64, 90})
	rep.Phases[2].InFlight = gaugeStats([]float64{60, 130, 88, 101})
	return rep
}

func TestOverloadReportMath(t *testing.T) {
	rep := sampleReport()
	rep.Probe[1].Goodput = 1200 // a lucky step: the best of many draws, not a load's
	rep.finish()
	if rep.Best != 1020 || rep.BestLoad != 1 {
		t.Errorf("best = %v at %v×, want the 1× phase's 1020, whatever the probe's best step (1200)", rep.Best, rep.BestLoad)
	}
	var ratios []string
	for _, p := range rep.Phases {
		ratios = append(ratios, report.Num(p.Ratio))
	}
	if want := []string{"0.49", "1.00", "0.95", "0.85"}; !slices.Equal(ratios, want) {
		t.Errorf("ratios %q, want %q", ratios, want)
	}
	var got []string
	for _, c := range rep.Checks {
		got = append(got, checkMark(c.Pass)+" "+c.Name)
	}
	want := []string{
		"PASS goodput at 2× >= 90% of the best",
		"FAIL goodput at 3× >= 90% of the best",
		"FAIL p99 of the 200s <= the scene deadline at every load",
		"FAIL no breaker opens or throttled calls (every downstream healthy)",
		"FAIL rig: the generator kept to its schedule (send lag p99 <= 50 ms)",
		"FAIL rig: nothing else ran (CPU beyond the rig's processes <= 30% of a core in every phase)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	if d := rep.Checks[2].Detail; !strings.Contains(d, "worst 900 ms at 3×") {
		t.Errorf("p99 detail %q does not name the worst", d)
	}
	// 100 + 70 busy against 99 + 20 used by the rig: 51% of a core was
	// someone else's.
	if d := rep.Checks[5].Detail; !strings.Contains(d, "3×: 51%") {
		t.Errorf("other-work detail %q", d)
	}

	// The same run with every criterion met passes every check.
	rep = sampleReport()
	rep.Phases[3].Summary.OK, rep.Phases[3].Summary.P99ms, rep.Phases[3].Summary.LagP99ms = 9690, 700, 3
	rep.Phases[3].Goodput = rep.Phases[3].Summary.goodput()
	rep.Phases[2].Server.Refused = 0
	for i := range rep.Phases {
		rep.Phases[i].CPU.CPUs = map[string]float64{"cpu0": 100, "cpu1": 40} // 21% beyond the rig: the kernel's share
	}
	rep.finish()
	for _, c := range rep.Checks {
		if !c.Pass {
			t.Errorf("%s failed: %s", c.Name, c.Detail)
		}
	}
}

func TestOverloadMarkdown(t *testing.T) {
	rep := sampleReport()
	rep.finish()
	var b strings.Builder
	rep.writeMarkdown(&b)
	md := b.String()
	for _, want := range []string{
		"## Overload: web feed at 0.5×, 1×, 2×, 3× of saturation",
		"| load | offered/s | sent/s | sent | screens/s | of best | p50 ms | p99 ms | 200 degraded | 503 shed | 503 scene | 504 | other | gen lag p99 ms |",
		"| 2× | 2000 | 2000 | 20000 | 969 | 95% | 30.0 | 700 | 0 | 9000 | 1000 | 200 | 110 | 3.00 |",
		"| 3× | 3000 | 3000 | 30000 | 867 | 85% | 30.0 | 900 | 0 | 20000 | 1000 | 200 | 130 | 80.0 |",
		"| 2× | 64/90/120 | 60/101/130 | 40 | 0 | 0 | 0 | 2 | 12 | 99 | - | 20 | - | 100 | 70 |",
		"| 3× | - | - | 0 |",
		"| 32 | 1000 | 0 | 0 | 2000 | 0 |",
		"### Saturation ramp (open loop)",
		"| 1150 | 990 | 0 | 0 | 2300 | 320 |",
		"- **FAIL** goodput at 3× >= 90% of the best: 867 of 1020 req/s (85%; the best: 1×'s)",
		"- 2×: answers: `recommend circuit_open` 1000",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	// Every row of every table has as many cells as its header.
	var cols int
	for line := range strings.Lines(md) {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(line, "|") - 1
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row with %d cells under a header of %d: %s", n, cols, line)
		}
	}
	var text strings.Builder
	rep.writeText(&text)
	if !strings.Contains(text.String(), "FAIL goodput at 3×") || !regexp.MustCompile(`2×\s+2000\s+2000\s+20000\s+969\s+95%`).MatchString(text.String()) {
		t.Errorf("text report:\n%s", text.String())
	}
}

func TestOverloadSVG(t *testing.T) {
	rep := sampleReport()
	rep.finish()
	var b strings.Builder
	if err := writeOverloadSVG(&b, rep); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	svgWellFormed(t, []byte(doc))
	for _, want := range []string{
		"<title>2× whole 200: 969/s</title>", "<title>3× 503 shed: 2000/s</title>", "<title>3× other: 13/s</title>",
		"best 1020/s", "90% of best", ">p99 900 ms<", "2000/s offered, 969 screens/s (95%)",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// Past the deadline the p99 is red, within it not.
	if !regexp.MustCompile(`fill="#d62728">p99 900 ms<`).MatchString(doc) || regexp.MustCompile(`fill="#d62728">p99 700 ms<`).MatchString(doc) {
		t.Error("p99 labels: want 900 ms (past 800ms) red and 700 ms not")
	}
	// No phases at all still draws an empty chart.
	b.Reset()
	if err := writeOverloadSVG(&b, &Report{}); err != nil {
		t.Fatal(err)
	}
	svgWellFormed(t, []byte(b.String()))
}

// Loads run in rounds are judged by their mean: one round's dip at 3× does
// not fail it, nor one round's peak at 1× set the best alone. A saturation
// given on the command line is a rate, not a measured goodput, so it is not
// the best either.
func TestOverloadRounds(t *testing.T) {
	rep := sampleReport()
	rep.Probe, rep.Ramp, rep.Saturation = nil, nil, 1100 // given: no probe
	at := func(m float64, round, ok int) Phase {
		p := rep.Phases[0]
		p.Mult, p.Round = m, round
		p.Summary.OK, p.Summary.Rate = ok, m*1000
		p.Goodput = p.Summary.goodput()
		return p
	}
	rep.Phases = []Phase{
		at(1, 1, 10400), at(3, 1, 8600), // 3× dips in round 1 (86% alone)
		at(1, 2, 9600), at(3, 2, 9600), // and 1× in round 2
	}
	rep.finish()
	if rep.Best != 1000 {
		t.Fatalf("best = %v, want 1×'s mean over its rounds, 1000 (not the given saturation, 1100, nor round 1's 1040)", rep.Best)
	}
	if len(rep.Loads) != 2 || rep.Loads[1].Mult != 3 || rep.Loads[1].Phases != 2 || rep.Loads[1].Min != 860 || rep.Loads[1].Max != 960 {
		t.Fatalf("loads %+v", rep.Loads)
	}
	c := rep.Checks[0]
	if c.Name != "goodput at 3× >= 90% of the best" || !c.Pass || !strings.Contains(c.Detail, "mean of 2 rounds 910 of 1000 req/s (91%; rounds 860 to 960; the best: 1×'s mean)") {
		t.Errorf("3× check: %s %v: %s", c.Name, c.Pass, c.Detail)
	}
	var b strings.Builder
	rep.writeMarkdown(&b)
	for _, want := range []string{
		"## Overload: web feed at 1×, 3× of saturation, in 2 rounds",
		"| 3× r2 | 3000 |",
		"| 3× | 2 | 910 | 91% | 83% | 860 | 960 |", // 83% of the given saturation, 1100
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, b.String())
		}
	}
}
