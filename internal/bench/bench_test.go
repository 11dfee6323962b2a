package bench

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"mosaic/bff/apitest"
	"mosaic/clients"
	"mosaic/internal/bench/child"
	"mosaic/internal/bench/load"
	"mosaic/internal/bench/report"
	"mosaic/internal/bench/workload"
	"mosaic/internal/leaktest"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

const metricsText = `# HELP go_gc_duration_seconds A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.1e-05
go_gc_duration_seconds{quantile="1"} 0.000349
go_gc_duration_seconds_sum 0.0012
go_gc_duration_seconds_count 9
# HELP go_memstats_mallocs_total Total number of heap objects allocated, both live and gc-ed. Semantics: Cumulative count of heap objects allocated.
# TYPE go_memstats_mallocs_total counter
go_memstats_mallocs_total 1.234567e+06
# HELP bff_downstream_calls_total Downstream calls.
# TYPE bff_downstream_calls_total counter
bff_downstream_calls_total{code="OK",method="BatchGetStats",service="stat"} 12
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 3.47
`

func TestParseProcStats(t *testing.T) {
	s, err := parseProcStats(strings.NewReader(metricsText))
	if err != nil {
		t.Fatal(err)
	}
	if s.cpuSeconds != 3.47 || s.mallocs != 1234567 {
		t.Errorf("got %+v, want cpu 3.47 and 1234567 mallocs", s)
	}
	noCPU := strings.ReplaceAll(metricsText, "process_cpu_seconds_total", "process_cpu_seconds_other")
	if _, err := parseProcStats(strings.NewReader(noCPU)); err == nil || !strings.Contains(err.Error(), metricCPU) {
		t.Errorf("without %s: err %v", metricCPU, err)
	}
	if _, err := parseProcStats(strings.NewReader("not { prometheus")); err == nil {
		t.Error("garbage parsed")
	}
}

func TestServeBanner(t *testing.T) {
	c := &child.Child{}
	ann := child.NewAnnouncement(ServeBanner(c))
	ann.Write([]byte("noise\n" + servePrefix + "http://127.0.0.1:5000 (floor)\n"))
	select {
	case <-ann.Ready():
	default:
		t.Fatal("bench-serve's line not recognised")
	}
	if c.Base != "http://127.0.0.1:5000" || c.Metrics != "http://127.0.0.1:5000/metrics" {
		t.Errorf("parsed %q %q", c.Base, c.Metrics)
	}
}

func TestWriteSVG(t *testing.T) {
	c := chart{
		title:  `Latency <at> 0.5 & "more"`,
		groups: []string{"feed", "video", "user"},
		series: []string{"mosaic", "floor", "naive"},
	}
	for _, g := range c.groups {
		for i, s := range c.series {
			v := float64(30 + 10*i)
			if s == "naive" {
				v = 850
			}
			c.values = append(c.values, chartValue{group: g, series: s, v: []float64{v, v * 1.3, v * 1.6}})
		}
	}
	c.values[0].v[2] = 0 // a missing value draws no bar
	var buf bytes.Buffer
	if err := writeSVG(&buf, c); err != nil {
		t.Fatal(err)
	}
	svg, err := report.ReadSVG(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	root, bars := svg.Root, svg.Shaded
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
	// 27 bars less the missing one, plus three legend swatches.
	if bars != 26+3 {
		t.Errorf("%d shaded rects, want 29", bars)
	}
	all := svg.Text()
	for _, want := range []string{"mosaic", "floor", "naive", "feed", "video", "user", "p50", "p99", "p99.9", `Latency <at> 0.5 & "more"`, "latency (ms, log scale)", "850", "30.0"} {
		if !strings.Contains(all, want) {
			t.Errorf("no text %q in the chart", want)
		}
	}
	// An empty chart still renders.
	buf.Reset()
	if err := writeSVG(&buf, chart{title: "empty"}); err != nil || !strings.Contains(buf.String(), "</svg>") {
		t.Errorf("empty chart: %v", err)
	}
}

func TestLogRange(t *testing.T) {
	lo, hi := logRange([]chartValue{{v: []float64{23, 41, 0}}, {v: []float64{870, 950, 1200}}})
	if lo != 10 || hi != 10000 {
		t.Errorf("range %v..%v, want 10..10000", lo, hi)
	}
	if lo, hi := logRange(nil); lo != 1 || hi != 1000 {
		t.Errorf("empty range %v..%v", lo, hi)
	}
}

func TestCheckTargets(t *testing.T) {
	cfg := Config{Latency: 10 * time.Millisecond, Scenes: workload.SceneNames(), Impls: Impls(), PS: []int{10, 20, 50}}
	r := &Report{cfg: cfg, PS: cfg.PS, Fraction: 0.5, Latency: "10ms", MaxRSSMB: map[string]float64{Mosaic: 40}}
	calls := map[string]map[string]float64{
		workload.Feed:  {"10": 5, "20": 5, "50": 5},
		workload.Video: {"-": 6},
		workload.User:  {"10": 6, "20": 6, "50": 6},
	}
	for _, scene := range workload.SceneNames() {
		m, f, n := r.get(Mosaic, scene), r.get(Floor, scene), r.get(Naive, scene)
		m.CallsPerReq, f.CallsPerReq = calls[scene], calls[scene]
		n.CallsPerReq = map[string]float64{"10": 41, "20": 81, "50": 201, "-": 76}
		m.SatRPS, f.SatRPS = 900, 1000
		m.RoundRPS, f.RoundRPS = []float64{900, 850, 880}, []float64{1000, 1000, 1000}
		m.AllocsPerReq, f.AllocsPerReq = 1400, 1000
		m.OpenRequests, f.OpenRequests = 100, 100
		m.P50ms, m.P99ms = 31, 39
	}
	r.get(Mosaic, workload.User).P50ms = 23                           // misses user p50 <= 22ms
	r.get(Mosaic, workload.Video).RoundRPS = []float64{900, 700, 750} // median 0.75: misses 0.8 x floor
	got := map[string]string{}
	for _, tg := range checkTargets(r) {
		got[tg.Name] = tg.Status
	}
	want := map[string]string{
		"mosaic feed makes at most 5 downstream calls per request at every page size":  StatusPass,
		"mosaic video makes at most 6 downstream calls per request at every page size": StatusPass,
		"mosaic user makes at most 6 downstream calls per request at every page size":  StatusPass,
		"naive feed calls grow with the page size":                                     StatusPass,
		"naive user calls grow with the page size":                                     StatusPass,
		"feed p50 <= 32ms and p99 <= 40ms at 0.5 of saturation, 10ms per call":         StatusPass,
		"user p50 <= 22ms at 0.5 of saturation, 10ms per call":                         StatusFail,
		"feed throughput >= 0.8 x floor":                                               StatusPass,
		"video throughput >= 0.8 x floor":                                              StatusFail,
		"user allocations <= 1.5 x floor":                                              StatusPass,
		"mosaic RSS under the bench's load < 150 MB":                                   StatusPass,
	}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: %q, want %s", name, got[name], status)
		}
	}

	// Another latency skips target 2; a flat naive fails target 1.
	r.cfg.Latency = 0
	r.get(Naive, workload.Feed).CallsPerReq = map[string]float64{"10": 5, "20": 5, "50": 5}
	got = map[string]string{}
	for _, tg := range checkTargets(r) {
		got[tg.Name] = tg.Status
	}
	if s := got["feed p50 <= 32ms and p99 <= 40ms at 0.5 of saturation, 10ms per call"]; s != StatusSkip {
		t.Errorf("target 2 at 0ms: %s", s)
	}
	if s := got["naive feed calls grow with the page size"]; s != StatusFail {
		t.Errorf("flat naive: %s", s)
	}
	// The report renders with every table.
	r.Targets = checkTargets(r)
	var text, md bytes.Buffer
	writeText(&text, r)
	writeMarkdown(&md, r)
	for _, want := range []string{"Latency pass", "Cost pass", "Downstream calls per request", "Response bytes", "Memory", "mosaic / floor", "FAIL"} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("no %q in the report", want)
		}
	}
}

// TestServe runs bench-serve's server in process: it announces its
// address, serves a scene and exposes the counters the bench reads.
func TestServe(t *testing.T) {
	cluster, err := cluster.Start(t.Context(), dataset.Shared(apitest.Seed), fakes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	addrs := map[string]string{}
	for _, svc := range clients.Services() {
		addrs[svc] = cluster.Addr(svc)
	}
	targets, err := ParseTargets(FormatTargets(addrs))
	if err != nil {
		t.Fatal(err)
	}
	c := &child.Child{Name: Naive}
	ann := child.NewAnnouncement(ServeBanner(c))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Naive, targets, "127.0.0.1:0", ann) }()
	select {
	case <-ann.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("bench-serve exited: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("no announcement")
	}
	transport := &http.Transport{}
	client := &http.Client{Transport: transport}
	n, err := load.Do(t.Context(), client, load.Target{URL: c.Base + "/web/v1/feed?ps=5", Header: http.Header{"X-User-Id": {"42"}}})
	if err != nil || n == 0 {
		t.Errorf("feed: %d bytes, %v", n, err)
	}
	s, err := child.Scrape(t.Context(), client, c, parseProcStats)
	if err != nil || s.cpuSeconds <= 0 || s.mallocs <= 0 {
		t.Errorf("metrics: %+v, %v", s, err)
	}
	transport.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("bench-serve: %v", err)
	}
	if err := Serve(t.Context(), "fast", targets, "127.0.0.1:0", io.Discard); err == nil {
		t.Error("impl fast accepted")
	}
	for _, bad := range []string{"account=127.0.0.1:1", "account"} {
		if _, err := ParseTargets(bad); err == nil {
			t.Errorf("-targets %q accepted", bad)
		}
	}
}

func TestPairedRatioIsTheMedianOfRoundRatios(t *testing.T) {
	for _, tc := range []struct {
		a, b []float64
		want float64
	}{
		{[]float64{80, 90, 100}, []float64{100, 100, 100}, 0.9},
		{[]float64{50, 90, 100, 70}, []float64{100, 100, 100, 100}, 0.8}, // (0.7+0.9)/2
		{[]float64{10}, []float64{0}, 0},
		{nil, nil, 0},
	} {
		if got := pairedRatio(tc.a, tc.b); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("pairedRatio(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
