package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"mosaic/bff/server"
	"mosaic/mocks/logbuf"
)

// started is a run in mock mode on loopback.
type started struct {
	public, admin string
	logs          *logbuf.Buffer
	stop          func() // cancels run and waits for it to return nil
}

func startRun(t *testing.T, env map[string]string, args ...string) started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	logs := &logbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"bff", "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, pw, logs)
		pw.Close()
	}()
	public, admin := addrs(t, pr)
	waitReady(t, admin)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := returned(t, done, 15*time.Second); err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return started{public: public, admin: admin, logs: logs, stop: stop}
}

// The downstream calls of each scene, signed in, as "service.Method";
// an anonymous feed has no relations to ask for.
var (
	feedCalls  = []string{"feed.Recommend", "archive.BatchGetArchives", "stat.BatchGetStats", "account.BatchGetProfiles", "relation.BatchGetRelations"}
	videoCalls = []string{"feed.Related", "reply.BatchGetHotReplies", "archive.BatchGetArchives", "stat.BatchGetStats", "account.BatchGetProfiles", "relation.BatchGetRelations"}
	userCalls  = []string{"account.BatchGetProfiles", "relation.BatchGetFollowerCounts", "relation.BatchGetRelations", "archive.ListByOwner", "archive.BatchGetArchives", "stat.BatchGetStats"}
	anonFeed   = feedCalls[:4]
	// Methods keyed by one ID rather than an ID set have no batch size.
	unbatched = []string{"feed.Recommend", "feed.Related", "archive.ListByOwner"}
)

// designMetrics are the series the README lists ("Seeing what a request
// did"), as a scrape of them should read:
// counters by their labels, histograms by their count.
type designMetrics map[string]float64

func key(name string, labels ...string) string {
	pairs := make([]string, 0, len(labels)/2)
	for i := 0; i+1 < len(labels); i += 2 {
		pairs = append(pairs, fmt.Sprintf("%s=%q", labels[i], labels[i+1]))
	}
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// request expects one scene request answered with code.
func (m designMetrics) request(device, scene string, code int) {
	m[key("bff_http_requests_total", "device", device, "scene", scene, "code", fmt.Sprint(code))]++
	m[key("bff_http_request_duration_seconds_count", "device", device, "scene", scene)]++
}

// calls expects downstream calls ("service.Method") that ended with code.
func (m designMetrics) calls(code string, calls ...string) {
	for _, c := range calls {
		svc, method, _ := strings.Cut(c, ".")
		m[key("bff_downstream_calls_total", "service", svc, "method", method, "code", code)]++
		m[key("bff_downstream_call_duration_seconds_count", "service", svc, "method", method)]++
		if !slices.Contains(unbatched, c) {
			m[key("bff_downstream_batch_size_count", "service", svc, "method", method)]++
		}
	}
}

// designLabels are the label names of each series of the design.
var designLabels = map[string][]string{
	"bff_http_requests_total":              {"code", "device", "scene"},
	"bff_http_request_duration_seconds":    {"device", "scene"},
	"bff_downstream_calls_total":           {"code", "method", "service"},
	"bff_downstream_call_duration_seconds": {"method", "service"},
	"bff_downstream_batch_size":            {"method", "service"},
	"bff_degraded_sections_total":          {"reason", "scene", "section"},
	"bff_cache_requests_total":             {"cache", "result"},
	"bff_cache_evictions_total":            {"cache"},
}

// scrapeDesign reads the design's series from /metrics, checking each
// has exactly the design's labels and each histogram its buckets.
func scrapeDesign(t *testing.T, admin string) designMetrics {
	t.Helper()
	code, body := get(t, admin+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got := designMetrics{}
	for name, labels := range designLabels {
		f := fams[name]
		if f == nil {
			t.Errorf("/metrics lacks %s", name)
			continue
		}
		for _, m := range f.GetMetric() {
			var kv, names []string
			for _, l := range m.GetLabel() {
				kv, names = append(kv, l.GetName(), l.GetValue()), append(names, l.GetName())
			}
			if slices.Sort(names); !slices.Equal(names, labels) {
				t.Errorf("%s has labels %v, want %v", name, names, labels)
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				got[key(name, kv...)] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				if len(m.GetHistogram().GetBucket()) == 0 {
					t.Errorf("%s%v has no buckets", name, kv)
				}
				checkEdges(t, name, m.GetHistogram().GetBucket())
				got[key(name+"_count", kv...)] = float64(m.GetHistogram().GetSampleCount())
			default:
				t.Errorf("%s is a %v", name, f.GetType())
			}
		}
	}
	return got
}

// checkEdges wants a latency histogram to have a bucket edge at each of
// the default limits a request or call can end at, so that a timed-out one
// is told apart from a slow answer.
func checkEdges(t *testing.T, name string, buckets []*dto.Bucket) {
	t.Helper()
	def := server.Defaults()
	edges := map[string][]time.Duration{
		"bff_http_request_duration_seconds":    {def.CallTimeout, def.Deadline},
		"bff_downstream_call_duration_seconds": {def.CallTimeout},
	}
	for _, edge := range edges[name] {
		if !slices.ContainsFunc(buckets, func(b *dto.Bucket) bool { return b.GetUpperBound() == edge.Seconds() }) {
			t.Errorf("%s has no bucket edge at %v", name, edge)
		}
	}
}

// scrapeCounted scrapes the design's series once every request of want
// is counted, or after 5 s.
func scrapeCounted(t *testing.T, admin string, want designMetrics) designMetrics {
	t.Helper()
	var requests float64
	for k, v := range want {
		if strings.HasPrefix(k, "bff_http_requests_total{") {
			requests += v
		}
	}
	var got designMetrics
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got = scrapeDesign(t, admin)
		var n float64
		for k, v := range got {
			if strings.HasPrefix(k, "bff_http_requests_total{") {
				n += v
			}
		}
		if n >= requests || time.Now().After(deadline) {
			return got
		}
	}
}

// compareDesign wants got to hold exactly want's series.
func compareDesign(t *testing.T, got, want designMetrics) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s = %v, want %v", k, got[k], want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		// Every scene route's 503 and 499 series exist from the start, at
		// 0: a request shed before routing, or whose client left while it
		// queued, counts in them (Metrics.Refused).
		shedReady := strings.HasPrefix(k, "bff_http_requests_total") && (strings.Contains(k, `"503"`) || strings.Contains(k, `"499"`)) && got[k] == 0
		if _, ok := want[k]; !ok && !shedReady {
			t.Errorf("unexpected series %s = %v", k, got[k])
		}
	}
}

// logLine is one JSON line of run's stderr.
type logLine map[string]any

func (l logLine) str(k string) string { s, _ := l[k].(string); return s }

// jsonLines parses every line of out, failing t on any that is not JSON.
func jsonLines(t *testing.T, out string) []logLine {
	t.Helper()
	var lines []logLine
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var m logLine
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("not a JSON line: %q", l)
			continue
		}
		lines = append(lines, m)
	}
	return lines
}

// find returns the lines with msg whose attributes include want.
func find(lines []logLine, msg string, want map[string]any) []logLine {
	var out []logLine
	for _, l := range lines {
		if l.str("msg") != msg {
			continue
		}
		match := true
		for k, v := range want {
			if l[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, l)
		}
	}
	return out
}

// The access line and the downstream failure line of a request carry its
// request id, and its trace id when the gateway sent a traceparent; so do
// the lines of an id mosaic made. Lifecycle lines share the logger.
func TestRunLogsTieAFailingRequestToItsDownstreamFailure(t *testing.T) {
	r := startRun(t, nil)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	if code, _ := get(t, r.public+"/web/v1/feed", "X-User-Id", "42", "X-Mock-Scenario", "stat=unavailable",
		"X-Request-Id", "log-degraded", "traceparent", "00-"+traceID+"-00f067aa0ba902b7-01"); code != http.StatusOK {
		t.Errorf("degraded feed: %d", code)
	}
	if code, _ := get(t, r.public+"/web/v1/feed", "X-Mock-Scenario", "feed=unavailable", "X-Request-Id", "log-failed"); code != http.StatusServiceUnavailable {
		t.Errorf("failed feed: %d", code)
	}
	resp, err := http.Get(r.public + "/app/v1/videos/8")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	made := resp.Header.Get("X-Request-Id")
	r.stop() // every line is written once run has returned
	lines := jsonLines(t, r.logs.String())

	access := func(id string, want map[string]any) {
		t.Helper()
		want["request_id"] = id
		if got := find(lines, "request", want); len(got) != 1 {
			t.Errorf("%d access lines with %v, want 1", len(got), want)
		}
	}
	access("log-degraded", map[string]any{"level": "INFO", "method": "GET", "path": "/web/v1/feed", "device": "web", "scene": "feed",
		"status": 200.0, "degraded": "stats:unavailable", "trace_id": traceID})
	access("log-failed", map[string]any{"level": "WARN", "path": "/web/v1/feed", "status": 503.0, "failed": "recommend:unavailable"})
	access(made, map[string]any{"route": "/app/v1/videos/{aid}", "device": "app", "scene": "video", "status": 200.0})

	failures := find(lines, "downstream call failed", nil)
	if len(failures) != 2 {
		t.Errorf("%d downstream failure lines, want 2 (stat, feed)", len(failures))
	}
	stat := find(failures, "downstream call failed", map[string]any{"level": "WARN", "request_id": "log-degraded", "trace_id": traceID,
		"service": "stat", "method": "BatchGetStats", "code": "Unavailable"})
	if len(stat) != 1 || stat[0]["batch"].(float64) < 1 || stat[0]["duration_ms"] == nil || !strings.HasPrefix(fmt.Sprint(stat[0]["peer"]), "127.0.0.1:") {
		t.Errorf("stat failure lines %v", stat)
	}
	feed := find(failures, "downstream call failed", map[string]any{"request_id": "log-failed", "service": "feed", "method": "Recommend", "code": "Unavailable"})
	if len(feed) != 1 || feed[0]["batch"] != nil || feed[0]["trace_id"] != nil {
		t.Errorf("feed failure lines %v: want one, without batch or trace", feed)
	}
	for _, msg := range []string{"serving", "shutting down", "stopped"} {
		if len(find(lines, msg, map[string]any{"level": "INFO"})) != 1 {
			t.Errorf("no %q line in\n%s", msg, r.logs.String())
		}
	}
}

// -log-format and -log-level come from the environment too.
func TestRunLogsAsTextAtTheLevelAsked(t *testing.T) {
	if err := run(context.Background(), []string{"bff", "-log-format", "xml"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "log format") {
		t.Errorf("-log-format xml: %v", err)
	}
	r := startRun(t, map[string]string{"MOSAIC_LOG_FORMAT": "text", "MOSAIC_LOG_LEVEL": "warn"})
	get(t, r.public+"/web/v1/feed", "X-Mock-Scenario", "stat=unavailable", "X-Request-Id", "txt-1")
	r.stop()
	out := r.logs.String()
	want := `level=WARN msg="downstream call failed" service=stat method=BatchGetStats code=Unavailable`
	if !strings.Contains(out, want) || !strings.Contains(out, "request_id=txt-1") {
		t.Errorf("want a text line with %q and request_id=txt-1:\n%s", want, out)
	}
	if strings.Contains(out, "level=INFO") {
		t.Errorf("info lines at -log-level warn:\n%s", out)
	}
}

// OTEL_EXPORTER_OTLP_ENDPOINT (from run's environment) sends the spans of
// a request to the collector: the route-named server span and one client
// span per downstream call, in one trace; they are flushed on shutdown.
func TestRunExportsTracesOverOTLP(t *testing.T) {
	var mu sync.Mutex
	var spans []string
	traces := map[string]bool{}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			t.Errorf("collector got %s %d bytes", r.URL.Path, len(body))
		}
		mu.Lock()
		defer mu.Unlock()
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					spans = append(spans, s.GetName())
					traces[fmt.Sprintf("%x", s.GetTraceId())] = true
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	r := startRun(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL})
	if code, _ := get(t, r.public+"/web/v1/feed", "X-User-Id", "42"); code != http.StatusOK {
		t.Fatalf("feed: %d", code)
	}
	r.stop()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(spans)
	want := []string{"GET /web/v1/feed", "account.v1.AccountService/BatchGetProfiles", "archive.v1.ArchiveService/BatchGetArchives",
		"feed.v1.FeedService/Recommend", "relation.v1.RelationService/BatchGetRelations", "stat.v1.StatService/BatchGetStats"}
	if !slices.Equal(spans, want) || len(traces) != 1 {
		t.Errorf("collector got spans %q in %d traces, want %q in one", spans, len(traces), want)
	}
}

// TestRunCountsPublicConnections: /metrics counts the public listener's
// connections, not its requests, so an operator can tell a client that
// reconnects per request from one that keeps its connection.
func TestRunCountsPublicConnections(t *testing.T) {
	s := startRun(t, nil)
	kept := &http.Client{Transport: &http.Transport{}}
	defer kept.CloseIdleConnections()
	once := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, c := range []*http.Client{kept, kept, kept, once, once} {
		resp, err := c.Get(s.public + "/web/v1/feed")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_, body := get(t, s.admin+"/metrics")
	if n, ok := metric(body, "bff_http_connections_total"); !ok || n != 3 {
		t.Errorf("bff_http_connections_total %v (found: %v), want 3: one kept alive, two that were not", n, ok)
	}
	if n, ok := metric(body, "bff_http_connections_open"); !ok || n < 1 {
		t.Errorf("bff_http_connections_open %v (found: %v), want the kept-alive one at least", n, ok)
	}
}

// A replica that cannot start says why in its log as well as on stderr's
// last line: the port taken is an ERROR line a log pipeline can alert on.
func TestAFailedStartIsAnErrorLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var logs bytes.Buffer
	err = run(t.Context(), []string{"bff", "-addr", ln.Addr().String(), "-admin-addr", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, &logs)
	if err == nil {
		t.Fatal("run started on a port taken")
	}
	if got := find(jsonLines(t, logs.String()), "exiting", map[string]any{"level": "ERROR", "error": err.Error()}); len(got) != 1 {
		t.Errorf("logs %s: want one ERROR line exiting with %q", logs.String(), err)
	}
}
