package admission

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"mosaic/bff/httpx"
)

// full returns a middleware whose only slot is taken: every request is shed.
func full(t testing.TB, m *Metrics) (*Middleware, http.Handler) {
	l := New(Config{Min: 1, Max: 1, QueueWait: -1, Metrics: m})
	if l.Acquire(t.Context()) != Admitted {
		t.Fatal("the first request was shed")
	}
	a := NewMiddleware(l, nil, nil, nil)
	return a, a.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("a shed request reached the handler")
	}))
}

// A shed request gets the constant 503 problem with Retry-After, and the
// handler never runs; it is counted by reason.
func TestShedAnswerIsAConstantProblem(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	_, h := full(t, m)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	var p struct {
		Type, Title string
		Status      int
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != 503 || p.Type != "about:blank" {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
		t.Fatalf("Content-Length %s for %d bytes", w.Header().Get("Content-Length"), w.Body.Len())
	}
	if got := value(t, m.shedLimit); got != 1 {
		t.Fatalf("bff_shed_total{reason=limit} = %v, want 1", got)
	}
	if got := value(t, m.limit); got != 1 {
		t.Fatalf("bff_admission_limit = %v, want 1", got)
	}
}

// An admitted request runs the handler and gives its slot back, even when
// the handler panics.
func TestAdmittedRequestReleasesItsSlot(t *testing.T) {
	l := New(Config{Min: 1, Max: 1, QueueWait: -1})
	h := NewMiddleware(l, nil, nil, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic(http.ErrAbortHandler)
		}
	}))
	for _, path := range []string{"/ok", "/panic", "/ok"} {
		func() {
			defer func() { recover() }()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			if w.Code != http.StatusOK {
				t.Errorf("%s: %d, want 200 (the slot was not given back)", path, w.Code)
			}
		}()
	}
}

// discard is a ResponseWriter that keeps nothing, reused across requests,
// so that what a benchmark counts is the middleware's own allocations.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header               { return d.h }
func (d *discard) WriteHeader(code int)              { d.code = code }
func (d *discard) Write(b []byte) (int, error)       { return len(b), nil }
func (d *discard) WriteString(s string) (int, error) { return len(s), nil }

var _ io.StringWriter = (*discard)(nil)

// Shedding allocates nothing, with a request id to return or without:
// refusing work must not take the CPU and the garbage collector's time from
// the requests admitted.
func TestSheddingDoesNotAllocate(t *testing.T) {
	_, h := full(t, NewMetrics(prometheus.NewRegistry()))
	for _, id := range []string{"", "edge-7f3a"} {
		r := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
		if id != "" {
			r.Header.Set("X-Request-Id", id)
		}
		w := &discard{h: http.Header{}}
		if n := testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, r) }); n != 0 {
			t.Fatalf("id %q: %v allocations per shed request, want 0", id, n)
		}
		if w.code != http.StatusServiceUnavailable || w.h.Get("X-Request-Id") != id {
			t.Fatalf("id %q: status %d, X-Request-Id %q", id, w.code, w.h.Get("X-Request-Id"))
		}
	}
}

// A shed answer returns the request id it came with, so a client (or the
// gateway's log) can name the refusal; a malformed one is not echoed.
func TestShedAnswerReturnsTheRequestID(t *testing.T) {
	_, h := full(t, NewMetrics(prometheus.NewRegistry()))
	for _, tc := range []struct{ sent, want []string }{
		{[]string{"abc-1"}, []string{"abc-1"}},
		{nil, nil},
		{[]string{"a", "b"}, nil},
		{[]string{"with space"}, nil},
		{[]string{"line\r\nX-Evil: 1"}, nil},
	} {
		r := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
		r.Header["X-Request-Id"] = tc.sent
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header()["X-Request-Id"]; w.Code != http.StatusServiceUnavailable || !slices.Equal(got, tc.want) {
			t.Errorf("sent %q: %d, X-Request-Id %q, want %q", tc.sent, w.Code, got, tc.want)
		}
	}
}

func BenchmarkShed(b *testing.B) {
	_, h := full(b, NewMetrics(prometheus.NewRegistry()))
	r := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// The admitted path for comparison: acquire, serve nothing, release.
func BenchmarkAdmit(b *testing.B) {
	l := New(Config{Min: 1 << 20, Max: 1 << 20})
	h := NewMiddleware(l, nil, nil, nil).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// A request whose client has left is not started: the limiter answers Gone
// without taking a slot, and the middleware records 499, where the scene
// answers are counted too, without counting a shed or running the handler.
func TestAGoneClientIsNotStarted(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	l := New(Config{Min: 4, Max: 4, Metrics: m})
	var counted []int
	h := NewMiddleware(l, nil, nil, func(_ *http.Request, code int) { counted = append(counted, code) }).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the handler ran for a client that had left")
	}))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil).WithContext(ctx))
	if w.Code != 499 || w.Body.Len() != 0 {
		t.Errorf("status %d, body %q; want 499 and nothing", w.Code, w.Body)
	}
	if shed := value(t, m.shedLimit) + value(t, m.shedQueue); shed != 0 || l.inflight != 0 || !slices.Equal(counted, []int{499}) {
		t.Errorf("%v counted shed, %d in flight, scene counts %v; want no shed, none in flight, one 499", shed, l.inflight, counted)
	}
}

// A request cut by the server's shutdown before it started is the server's
// refusal, not a client that left: the shed 503, counted as shed and where
// the scene answers are counted.
func TestARequestCutByShutdownBeforeItStartsIsShed(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	l := New(Config{Min: 4, Max: 4, Metrics: m})
	counted := 0
	h := NewMiddleware(l, nil, nil, func(_ *http.Request, code int) {
		if code == http.StatusServiceUnavailable {
			counted++
		}
	}).Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the handler ran for a request the shutdown cut")
	}))
	ctx, cut := context.WithCancelCause(t.Context())
	cut(httpx.ErrShutdown)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil).WithContext(ctx))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Errorf("status %d, %v; want the shed 503", w.Code, w.Header())
	}
	if shed := value(t, m.shedQueue); shed != 1 || counted != 1 || l.inflight != 0 {
		t.Errorf("%v counted shed, %d counted, %d in flight; want 1, 1 and 0", shed, counted, l.inflight)
	}
}

// The limit learns from the latency of requests served to the end with
// no injected fault: a request carrying a mock scenario (its latency is
// the developer's) and one whose client left while it ran (it ended when
// the client went) are served but not sampled.
func TestOnlyWholeUnscriptedRequestsTeachTheLimit(t *testing.T) {
	l := New(Config{Min: 4, Max: 4, Window: time.Hour, MinSamples: 1 << 20})
	cancelled := func(r *http.Request) *http.Request {
		ctx, cancel := context.WithCancel(r.Context())
		t.Cleanup(cancel)
		return r.WithContext(context.WithValue(ctx, cancelKey{}, cancel))
	}
	ran := 0
	h := NewMiddleware(l, nil, ScenarioUnsampled(true), nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran++
		if cancel, ok := r.Context().Value(cancelKey{}).(context.CancelFunc); ok {
			cancel() // the client hangs up mid-request
		}
	}))
	for _, c := range []struct {
		name    string
		req     *http.Request
		samples int
	}{
		{"a plain request", httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil), 1},
		{"a scenario request", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
			r.Header.Set("X-Mock-Scenario", "stat=delay:300ms")
			return r
		}(), 1},
		{"a request its client left", cancelled(httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)), 1},
		{"another plain request", httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil), 2},
	} {
		h.ServeHTTP(httptest.NewRecorder(), c.req)
		l.mu.Lock()
		n := l.win.n
		l.mu.Unlock()
		if n != c.samples {
			t.Errorf("after %s: %d samples, want %d", c.name, n, c.samples)
		}
	}
	if ran != 4 || l.inflight != 0 {
		t.Errorf("the handler ran %d times, %d left in flight; want 4 and none", ran, l.inflight)
	}
}

type cancelKey struct{}
