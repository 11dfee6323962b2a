package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mosaic/bff/apitest"
	"mosaic/clients"
	"mosaic/dto"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
)

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	p50, p99, p999 := percentiles(lat)
	if p50 != 50*time.Millisecond || p99 != 99*time.Millisecond || p999 != 100*time.Millisecond {
		t.Errorf("1..100ms: p50 %v p99 %v p99.9 %v, want 50ms 99ms 100ms", p50, p99, p999)
	}
	if lat[0] != 100*time.Millisecond {
		t.Error("percentiles sorted its input in place")
	}
	for _, tc := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{[]time.Duration{7}, 50, 7},
		{[]time.Duration{7}, 99.9, 7},
		{[]time.Duration{1, 2}, 50, 1},
		{[]time.Duration{1, 2}, 51, 2},
		{[]time.Duration{1, 2, 3, 4}, 100, 4},
		{[]time.Duration{1, 2, 3, 4}, 0.1, 1},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
		}
	}
	// 2000 samples: p99.9 is the 1998th, not the maximum.
	lat = lat[:0]
	for i := 1; i <= 2000; i++ {
		lat = append(lat, time.Duration(i))
	}
	if _, _, p999 := percentiles(lat); p999 != 1998 {
		t.Errorf("p99.9 of 1..2000 = %d, want 1998", p999)
	}
}

func TestOpenLoopSchedule(t *testing.T) {
	if n := scheduleCount(500, 3*time.Second); n != 1500 {
		t.Errorf("500/s for 3s: %d requests", n)
	}
	if n := scheduleCount(0.1, time.Second); n != 1 {
		t.Errorf("a tiny rate still sends one request, got %d", n)
	}
	if n := scheduleCount(33.3, 3*time.Second); n != 99 {
		t.Errorf("33.3/s for 3s: %d requests, want 99", n)
	}
	for _, tc := range []struct {
		i    int
		rate float64
		want time.Duration
	}{
		{0, 100, 0},
		{1, 100, 10 * time.Millisecond},
		{500, 500, time.Second},
		{1, 3, 333333333},
		{1499, 500, 2998 * time.Millisecond},
	} {
		if got := scheduledAt(tc.i, tc.rate); got != tc.want {
			t.Errorf("scheduledAt(%d, %v) = %v, want %v", tc.i, tc.rate, got, tc.want)
		}
	}
	// Evenly spaced and strictly inside the phase.
	rate, dur := 700.0, 2*time.Second
	n := scheduleCount(rate, dur)
	prev := time.Duration(-1)
	for i := range n {
		at := scheduledAt(i, rate)
		if at <= prev || at >= dur {
			t.Fatalf("request %d at %v after %v (phase %v)", i, at, prev, dur)
		}
		prev = at
	}
}

// slowServer answers 200 after d, counting requests; a path ending in
// /fail answers 503.
func slowServer(t *testing.T, d time.Duration) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(d)
		if strings.HasSuffix(r.URL.Path, "/fail") {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestLoadGenerators(t *testing.T) {
	srv, n := slowServer(t, 5*time.Millisecond)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.Transport.(*http.Transport).CloseIdleConnections()
	ctx := t.Context()

	open := openLoop(ctx, client, loadTarget{url: srv.URL + "/x", header: http.Header{}}, 200, 250*time.Millisecond)
	if open.ok != 50 || open.errors != 0 || n.Load() != 50 {
		t.Errorf("open loop at 200/s for 250ms: %d ok, %d errors, %d served; want 50", open.ok, open.errors, n.Load())
	}
	if p50, _, _ := percentiles(open.latencies); p50 < 5*time.Millisecond || p50 > 200*time.Millisecond {
		t.Errorf("open loop p50 %v against a 5ms server", p50)
	}
	if open.elapsed < 245*time.Millisecond {
		t.Errorf("open loop finished in %v, before its last request was due", open.elapsed)
	}

	closed := closedLoop(ctx, client, loadTarget{url: srv.URL + "/x", header: http.Header{}}, 4, 100*time.Millisecond)
	// 4 workers, 5ms each, 100ms: about 80, never more.
	if closed.ok < 4 || closed.ok > 84 || closed.errors != 0 || closed.rps() <= 0 {
		t.Errorf("closed loop: %d ok, %d errors, %.0f req/s", closed.ok, closed.errors, closed.rps())
	}

	seq := sequential(ctx, client, loadTarget{url: srv.URL + "/x", header: http.Header{}}, 3, 20*time.Millisecond)
	if seq.ok < 3 || seq.errors != 0 || seq.elapsed < 15*time.Millisecond {
		t.Errorf("sequential: %d ok, %d errors in %v", seq.ok, seq.errors, seq.elapsed)
	}

	failed := closedLoop(ctx, client, loadTarget{url: srv.URL + "/fail", header: http.Header{}}, 2, 20*time.Millisecond)
	if failed.ok != 0 || failed.errors == 0 || !strings.Contains(failed.firstErr, "503") {
		t.Errorf("failing target: %d ok, %d errors, first %q", failed.ok, failed.errors, failed.firstErr)
	}
}

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

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tbff\nVmPeak:\t 1300000 kB\nVmRSS:\t   40960 kB\nThreads:\t8\n"
	if got, err := parseVmRSS(status); err != nil || got != 40<<20 {
		t.Errorf("got %d, %v; want %d", got, err, 40<<20)
	}
	if _, err := parseVmRSS("Name:\tbff\n"); err == nil {
		t.Error("no VmRSS line: no error")
	}
	if _, err := parseVmRSS("VmRSS:\t12 MB\n"); err == nil {
		t.Error("unknown unit: no error")
	}
}

func TestAnnouncements(t *testing.T) {
	c := &child{}
	ann := &announcement{ready: make(chan struct{}), parse: mosaicAnnouncement(c)}
	// The banner of cmd/bff, written in pieces as a pipe would.
	banner := "mosaic is serving on http://127.0.0.1:41234 with real downstreams\n" +
		"  try:   curl -s 'http://127.0.0.1:41234/app/v1/feed' -H 'X-User-Id: 42'\n" +
		"  spec:  http://127.0.0.1:41234/openapi.yaml\n" +
		"  admin: http://127.0.0.1:41235/metrics /healthz /readyz /debug/pprof/\n" +
		"later output\n"
	for chunk := range slicesOf(banner, 7) {
		ann.Write([]byte(chunk))
	}
	select {
	case <-ann.ready:
	default:
		t.Fatal("mosaic's banner not recognised")
	}
	if c.base != "http://127.0.0.1:41234" || c.admin != "http://127.0.0.1:41235" || c.metrics != "http://127.0.0.1:41235/metrics" {
		t.Errorf("parsed %q %q %q", c.base, c.admin, c.metrics)
	}

	c = &child{}
	ann = &announcement{ready: make(chan struct{}), parse: serveAnnouncement(c)}
	ann.Write([]byte("noise\n" + servePrefix + "http://127.0.0.1:5000 (floor)\n"))
	select {
	case <-ann.ready:
	default:
		t.Fatal("bench-serve's line not recognised")
	}
	if c.base != "http://127.0.0.1:5000" || c.metrics != "http://127.0.0.1:5000/metrics" {
		t.Errorf("parsed %q %q", c.base, c.metrics)
	}
}

// slicesOf cuts s into pieces of n bytes.
func slicesOf(s string, n int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
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
			c.values = append(c.values, chartValue{group: g, series: s, v: [3]float64{v, v * 1.3, v * 1.6}})
		}
	}
	c.values[0].v[2] = 0 // a missing value draws no bar
	var buf bytes.Buffer
	if err := writeSVG(&buf, c); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	var texts []string
	bars, root := 0, ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
			if tok.Name.Local == "rect" {
				for _, a := range tok.Attr {
					if a.Name.Local == "fill-opacity" {
						bars++
					}
				}
			}
		case xml.CharData:
			texts = append(texts, string(tok))
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
	// 27 bars less the missing one, plus three legend swatches.
	if bars != 26+3 {
		t.Errorf("%d shaded rects, want 29", bars)
	}
	all := strings.Join(texts, "|")
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
	lo, hi := logRange([]chartValue{{v: [3]float64{23, 41, 0}}, {v: [3]float64{870, 950, 1200}}})
	if lo != 10 || hi != 10000 {
		t.Errorf("range %v..%v, want 10..10000", lo, hi)
	}
	if lo, hi := logRange(nil); lo != 1 || hi != 1000 {
		t.Errorf("empty range %v..%v", lo, hi)
	}
}

func TestParseBenchFlags(t *testing.T) {
	cfg, err := parseBench([]string{"-ps", "50,10,10", "-scenes", "user,feed", "-impls", "naive,mosaic"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.ps, []int{50, 10}) || !reflect.DeepEqual(cfg.scenes, []string{"feed", "user"}) || !reflect.DeepEqual(cfg.impls, []string{"mosaic", "naive"}) {
		t.Errorf("parsed %v %v %v", cfg.ps, cfg.scenes, cfg.impls)
	}
	if cfg.latency != 10*time.Millisecond || cfg.fraction != 0.5 || cfg.loadPS != 20 {
		t.Errorf("defaults %v %v %v", cfg.latency, cfg.fraction, cfg.loadPS)
	}
	for _, args := range [][]string{
		{"-ps", "0"}, {"-ps", "51"}, {"-ps", "x"}, {"-scenes", "home"}, {"-impls", "fast"},
		{"-load-fraction", "0"}, {"-load-fraction", "1.5"}, {"-concurrency", "0"}, {"-rounds", "0"},
		{"-duration", "0s"}, {"-mock-latency", "-1ms"}, {"-load-ps", "60"}, {"extra"},
	} {
		if _, err := parseBench(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

func TestBenchUsage(t *testing.T) {
	stdout, _, err := bffctl(t, "help")
	if err != nil || !strings.Contains(stdout, "bench") {
		t.Errorf("help does not list bench: %v\n%s", err, stdout)
	}
	if strings.Contains(stdout, "bench-serve") {
		t.Errorf("help lists the internal bench-serve:\n%s", stdout)
	}
	_, stderr, err := bffctl(t, "bench", "-h")
	if err != nil || !strings.Contains(stderr, "-load-fraction") || !strings.Contains(stderr, "-profile") {
		t.Errorf("bench -h: %v\n%s", err, stderr)
	}
}

func TestCheckTargets(t *testing.T) {
	cfg := benchConfig{latency: 10 * time.Millisecond, scenes: allScenes(), impls: allImpls(), ps: []int{10, 20, 50}}
	r := &report{cfg: cfg, PS: cfg.ps, Fraction: 0.5, Latency: "10ms", MaxRSSMB: map[string]float64{implMosaic: 40}}
	calls := map[string]map[string]float64{
		sceneFeed:  {"10": 5, "20": 5, "50": 5},
		sceneVideo: {"-": 6},
		sceneUser:  {"10": 6, "20": 6, "50": 6},
	}
	for _, scene := range allScenes() {
		m, f, n := r.get(implMosaic, scene), r.get(implFloor, scene), r.get(implNaive, scene)
		m.CallsPerReq, f.CallsPerReq = calls[scene], calls[scene]
		n.CallsPerReq = map[string]float64{"10": 41, "20": 81, "50": 201, "-": 76}
		m.SatRPS, f.SatRPS = 900, 1000
		m.RoundRPS, f.RoundRPS = []float64{900, 850, 880}, []float64{1000, 1000, 1000}
		m.AllocsPerReq, f.AllocsPerReq = 1400, 1000
		m.OpenRequests, f.OpenRequests = 100, 100
		m.P50ms, m.P99ms = 31, 39
	}
	r.get(implMosaic, sceneUser).P50ms = 23                           // misses user p50 <= 22ms
	r.get(implMosaic, sceneVideo).RoundRPS = []float64{900, 700, 750} // median 0.75: misses 0.8 x floor
	got := map[string]string{}
	for _, tg := range checkTargets(r) {
		got[tg.Name] = tg.Status
	}
	want := map[string]string{
		"mosaic feed makes 5 downstream calls per request at every page size":  statusPass,
		"mosaic video makes 6 downstream calls per request at every page size": statusPass,
		"mosaic user makes 6 downstream calls per request at every page size":  statusPass,
		"naive feed calls grow with the page size":                             statusPass,
		"naive user calls grow with the page size":                             statusPass,
		"feed p50 <= 32ms and p99 <= 40ms at 0.5 of saturation, 10ms per call": statusPass,
		"user p50 <= 22ms at 0.5 of saturation, 10ms per call":                 statusFail,
		"feed throughput >= 0.8 x floor":                                       statusPass,
		"video throughput >= 0.8 x floor":                                      statusFail,
		"user allocations <= 1.5 x floor":                                      statusPass,
		"mosaic RSS under the bench's load < 150 MB":                           statusPass,
	}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: %q, want %s", name, got[name], status)
		}
	}

	// Another latency skips target 2; a flat naive fails target 1.
	r.cfg.latency = 0
	r.get(implNaive, sceneFeed).CallsPerReq = map[string]float64{"10": 5, "20": 5, "50": 5}
	got = map[string]string{}
	for _, tg := range checkTargets(r) {
		got[tg.Name] = tg.Status
	}
	if s := got["feed p50 <= 32ms and p99 <= 40ms at 0.5 of saturation, 10ms per call"]; s != statusSkip {
		t.Errorf("target 2 at 0ms: %s", s)
	}
	if s := got["naive feed calls grow with the page size"]; s != statusFail {
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

func TestPickEntities(t *testing.T) {
	ds := dataset.Shared(apitest.Seed)
	aid, mid, err := pickEntities(ds)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := ds.Archive(aid); !ok || a.GetState() != 0 || len(ds.HotReplies(aid, refReplies)) != refReplies {
		t.Errorf("video %d: not a visible video with %d replies", aid, refReplies)
	}
	if _, total := ds.ListByOwner(mid, 1, 1); total <= refMaxPS {
		t.Errorf("user %d has %d uploads, want more than %d", mid, total, refMaxPS)
	}
}

// refTopology is the floor and the naive BFF, in process, over one mock cluster.
type refTopology struct {
	floor, naive string
	rec          *record.Recorder
	data         *dataset.Dataset
	client       *http.Client
}

func startRefs(t *testing.T) *refTopology {
	t.Helper()
	rec := &record.Recorder{}
	data := dataset.Shared(apitest.Seed)
	cluster, err := cluster.Start(t.Context(), data, fakes.Options{Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	targets := map[string]string{}
	for _, svc := range clients.Services() {
		targets[svc] = cluster.Addr(svc)
	}
	s, closeConns, err := dialStubs(targets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeConns)
	floor := httptest.NewServer(&refServer{s: s})
	t.Cleanup(floor.Close)
	naive := httptest.NewServer(&refServer{s: s, naive: true})
	t.Cleanup(naive.Close)
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return &refTopology{floor: floor.URL, naive: naive.URL, rec: rec, data: data, client: &http.Client{Transport: transport}}
}

// get fetches base+path as viewer 42 and counts the downstream calls.
func (rt *refTopology) get(t *testing.T, base, path string) (body []byte, calls int) {
	t.Helper()
	rt.rec.Reset()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-User-Id", "42")
	resp, err := rt.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, resp.StatusCode, body)
	}
	return body, len(rt.rec.Calls())
}

// TestReferenceBFFs checks that floor and naive answer the same data with
// the calls they are meant to make: floor a fixed 5, 6 and 6 whatever the
// page size, naive one per item.
func TestReferenceBFFs(t *testing.T) {
	rt := startRefs(t)
	aid, mid, err := pickEntities(rt.data)
	if err != nil {
		t.Fatal(err)
	}
	naiveCalls := map[string][]int{}
	for _, tc := range []struct {
		scene, path string
		floorCalls  int
	}{
		{sceneFeed, "/web/v1/feed?ps=10", 5},
		{sceneFeed, "/web/v1/feed?ps=20", 5},
		{sceneFeed, "/web/v1/feed?ps=50", 5},
		{sceneVideo, fmt.Sprintf("/web/v1/videos/%d", aid), 6},
		{sceneUser, fmt.Sprintf("/web/v1/users/%d?ps=10", mid), 6},
		{sceneUser, fmt.Sprintf("/web/v1/users/%d?ps=50", mid), 6},
	} {
		fb, fc := rt.get(t, rt.floor, tc.path)
		nb, nc := rt.get(t, rt.naive, tc.path)
		if fc != tc.floorCalls {
			t.Errorf("floor %s: %d downstream calls, want %d", tc.path, fc, tc.floorCalls)
		}
		if !bytes.Equal(fb, nb) {
			t.Errorf("floor and naive differ on %s:\nfloor %s\nnaive %s", tc.path, fb, nb)
		}
		if nc <= 2*fc {
			t.Errorf("naive %s: %d calls, not N+1 (floor %d)", tc.path, nc, fc)
		}
		naiveCalls[tc.scene] = append(naiveCalls[tc.scene], nc)
	}
	for _, scene := range []string{sceneFeed, sceneUser} {
		c := naiveCalls[scene]
		for i := 1; i < len(c); i++ {
			if c[i] <= c[i-1] {
				t.Errorf("naive %s calls do not grow with ps: %v", scene, c)
			}
		}
	}

	// The feed at ps=10 has ten real cards with stats, owners and relations.
	body, _ := rt.get(t, rt.floor, "/web/v1/feed?ps=10")
	var feed refFeed
	if err := json.Unmarshal(body, &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Cards) == 0 || feed.PageSize != 10 {
		t.Fatalf("feed: %d cards, ps %d", len(feed.Cards), feed.PageSize)
	}
	for _, c := range feed.Cards {
		a, ok := rt.data.Archive(c.Aid)
		st, _ := rt.data.Stat(c.Aid)
		if !ok || c.Title != a.GetTitle() || c.Stats == nil || c.Stats.View != st.GetView() || c.Owner.Name == "" || c.Owner.Following == nil {
			t.Errorf("card %+v does not match the dataset", c)
		}
	}
	// Bad input and unknown entities.
	for path, want := range map[string]int{
		"/web/v1/feed?ps=0":        http.StatusBadRequest,
		"/web/v1/videos/x":         http.StatusBadRequest,
		"/web/v1/videos/999999999": http.StatusNotFound,
		"/web/v1/users/999999999":  http.StatusNotFound,
		"/web/v1/nothing":          http.StatusNotFound,
	} {
		for _, base := range []string{rt.floor, rt.naive} {
			resp, err := rt.client.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s%s: %d, want %d", base, path, resp.StatusCode, want)
			}
		}
	}
}

// TestReferenceMatchesMosaic: the floor carries the same information as
// mosaic's web response (the cover URL aside, which mosaic sizes).
func TestReferenceMatchesMosaic(t *testing.T) {
	rt := startRefs(t)
	srv := apitest.Start(t, apitest.Options{})
	aid, mid, err := pickEntities(rt.data)
	if err != nil {
		t.Fatal(err)
	}
	noCovers := func(cards []refCard) {
		for i := range cards {
			cards[i].Cover = dto.URL{}
		}
	}
	for _, tc := range []struct {
		path string
		new  func() any
		norm func(any)
	}{
		{"/web/v1/feed?ps=10", func() any { return &refFeed{} }, func(v any) { noCovers(v.(*refFeed).Cards) }},
		{fmt.Sprintf("/web/v1/videos/%d", aid), func() any { return &refVideo{} }, func(v any) {
			x := v.(*refVideo)
			x.Video.Cover = dto.URL{}
			noCovers(x.Related)
		}},
		{fmt.Sprintf("/web/v1/users/%d?ps=20", mid), func() any { return &refUser{} }, func(v any) { noCovers(v.(*refUser).Archives) }},
	} {
		floorBody, _ := rt.get(t, rt.floor, tc.path)
		mosaicResp := srv.Get(t, tc.path, "X-User-Id", "42")
		if mosaicResp.Status != http.StatusOK {
			t.Fatalf("mosaic %s: %d", tc.path, mosaicResp.Status)
		}
		f, m := tc.new(), tc.new()
		if err := json.Unmarshal(floorBody, f); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(mosaicResp.Body, m); err != nil {
			t.Fatal(err)
		}
		tc.norm(f)
		tc.norm(m)
		if !reflect.DeepEqual(f, m) {
			fj, _ := json.Marshal(f)
			mj, _ := json.Marshal(m)
			t.Errorf("%s: floor and mosaic differ\nfloor  %s\nmosaic %s", tc.path, fj, mj)
		}
		// And mosaic's web body is within a few percent of the floor's.
		if d := math.Abs(float64(len(mosaicResp.Body)-len(floorBody))) / float64(len(floorBody)); d > 0.1 {
			t.Errorf("%s: mosaic %d bytes, floor %d", tc.path, len(mosaicResp.Body), len(floorBody))
		}
	}
}

// TestBenchServe runs the hidden subcommand in process: it announces its
// address, serves a scene and exposes the counters the bench reads.
func TestBenchServe(t *testing.T) {
	cluster, err := cluster.Start(t.Context(), dataset.Shared(apitest.Seed), fakes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	var targets []string
	for _, svc := range clients.Services() {
		targets = append(targets, svc+"="+cluster.Addr(svc))
	}
	c := &child{}
	ann := &announcement{ready: make(chan struct{}), parse: serveAnnouncement(c)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- benchServe(ctx, []string{"-impl", "naive", "-targets", strings.Join(targets, ",")}, ann, io.Discard)
	}()
	select {
	case <-ann.ready:
	case err := <-done:
		cancel()
		t.Fatalf("bench-serve exited: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("no announcement")
	}
	transport := &http.Transport{}
	client := &http.Client{Transport: transport}
	n, err := do(t.Context(), client, loadTarget{url: c.base + "/web/v1/feed?ps=5", header: http.Header{"X-User-Id": {"42"}}})
	if err != nil || n == 0 {
		t.Errorf("feed: %d bytes, %v", n, err)
	}
	s, err := c.scrape(t.Context(), client)
	if err != nil || s.cpuSeconds <= 0 || s.mallocs <= 0 {
		t.Errorf("metrics: %+v, %v", s, err)
	}
	transport.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("bench-serve: %v", err)
	}

	for _, args := range [][]string{
		{"-impl", "fast", "-targets", strings.Join(targets, ",")},
		{"-impl", "floor", "-targets", "account=127.0.0.1:1"},
		{"-impl", "floor", "-targets", "account"},
	} {
		if err := benchServe(t.Context(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.0123: "0.012", 0.5: "0.50", 12.34: "12.3", 1234.5: "1234", math.NaN(): "-"} {
		if got := num(v); got != want {
			t.Errorf("num(%v) = %q, want %q", v, got, want)
		}
	}
	if got := strconv.Quote(msLabel(1500)); got != `"1.5s"` {
		t.Errorf("msLabel(1500) = %s", got)
	}
}

func TestHopLatencyIncludesTheMockLatency(t *testing.T) {
	ds := dataset.Shared(1)
	cluster, err := cluster.Start(t.Context(), ds, fakes.Options{Latency: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	p50, err := hopLatency(t.Context(), cluster.Addr(clients.Stat), ds.VisibleAids()[:20], 5)
	if err != nil || p50 < 5*time.Millisecond {
		t.Fatalf("hop p50 %v, %v; want at least the 5ms mock latency", p50, err)
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
