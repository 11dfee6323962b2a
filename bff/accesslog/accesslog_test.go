package accesslog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"mosaic/bff/scene"
	"mosaic/internal/reqid"
	"mosaic/internal/telemetry"
)

// router mounts Middleware as bff.NewServer does, behind a request id.
func router(logger *slog.Logger) chi.Router {
	r := chi.NewRouter()
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(reqid.With(r.Context(), "req-7")))
		})
	}, Middleware(logger, func(remote string) bool { return strings.HasPrefix(remote, "192.0.2.1:") }))
	r.Route("/web", func(r chi.Router) {
		video := func(w http.ResponseWriter, r *http.Request) {
			Note(r.Context(), "web", "video", []scene.Degraded{{Section: "stats", Reason: "unavailable"}, {Section: "relation", Reason: "timeout"}})
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"aid":8}`))
			w.Write([]byte("\n"))
		}
		r.Get("/v1/videos/{aid}", video)
		r.Head("/v1/videos/{aid}", video)
		r.Get("/v1/empty", func(http.ResponseWriter, *http.Request) {})
		r.Get("/v1/panic", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
		r.Get("/v1/failed", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		r.Get("/v1/late", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGatewayTimeout) })
		r.Get("/v1/stream", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte("a"))
			if err := http.NewResponseController(w).Flush(); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		})
	})
	return r
}

func serve(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	return serveFrom(t, h, path, "192.0.2.1:5555", nil)
}

// serveFrom serves a request from remote (the router trusts 192.0.2.1)
// with the header values given.
func serveFrom(t *testing.T, h http.Handler, path, remote string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = remote
	for k, vs := range header {
		req.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func lastLine(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	ls := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(ls[len(ls)-1]), &m); err != nil {
		t.Fatalf("%q: %v", ls[len(ls)-1], err)
	}
	return m
}

func TestOneLinePerRequestWithWhatItServed(t *testing.T) {
	var buf bytes.Buffer
	h := router(slog.New(slog.NewJSONHandler(&buf, nil)))
	w := serve(t, h, "/web/v1/videos/8?x=1")
	got := lastLine(t, &buf)
	want := map[string]any{
		"level": "INFO", "msg": "request", "method": "GET", "path": "/web/v1/videos/8", "route": "/web/v1/videos/{aid}",
		"device": "web", "scene": "video", "status": 200.0, "bytes": float64(w.Body.Len()),
		"degraded": "stats:unavailable,relation:timeout", "request_id": "req-7", "remote": "192.0.2.1:5555",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if d, ok := got["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("duration_ms = %v", got["duration_ms"])
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("want exactly one line, got:\n%s", buf.String())
	}
}

// A HEAD answer sends no body, whatever the handler wrote.
func TestHeadSendsNoBytes(t *testing.T) {
	var buf bytes.Buffer
	h := router(slog.New(slog.NewJSONHandler(&buf, nil)))
	for method, want := range map[string]float64{http.MethodGet: 10, http.MethodHead: 0} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "/web/v1/videos/8", nil))
		if got := lastLine(t, &buf); got["method"] != method || got["status"] != 200.0 || got["bytes"] != want {
			t.Errorf("%s: status %v, bytes %v, want 200 and %v", method, got["status"], got["bytes"], want)
		}
	}
}

// Routes that are no scene, handlers that write nothing, unrouted paths
// and failures are logged too, each as it is.
func TestEveryRequestIsLogged(t *testing.T) {
	var buf bytes.Buffer
	h := router(slog.New(slog.NewJSONHandler(&buf, nil)))
	long := "/nope/" + strings.Repeat("a", 300)
	for _, tc := range []struct {
		path, wantPath, level string
		status                float64
	}{
		{"/web/v1/empty", "/web/v1/empty", "INFO", 200},
		{long, long[:maxPath] + "…", "INFO", 404},
		{"/web/v2/unknown", "/web/v2/unknown", "INFO", 404},
		{"/web/v1/panic", "/web/v1/panic", "ERROR", 500},
		{"/web/v1/failed", "/web/v1/failed", "WARN", 503},
		{"/web/v1/late", "/web/v1/late", "WARN", 504},
		{"/web/v1/stream", "/web/v1/stream", "INFO", 200},
	} {
		serve(t, h, tc.path)
		got := lastLine(t, &buf)
		if got["path"] != tc.wantPath || got["status"] != tc.status || got["level"] != tc.level {
			t.Errorf("%.40s: path %v status %v level %v; want %s %v %s", tc.path, got["path"], got["status"], got["level"], tc.wantPath, tc.status, tc.level)
		}
		if _, ok := got["device"]; ok {
			t.Errorf("%.40s: a device without a scene handler: %v", tc.path, got)
		}
		if route, ok := got["route"]; ok != (tc.status != 404) || ok && route != tc.wantPath {
			t.Errorf("%.40s: route %v, want the path's own route, none when unrouted", tc.path, route)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != 7 {
		t.Errorf("%d lines for 7 requests", n)
	}
}

// A method is a client's to make up, at any length: the line keeps its
// first maxMethod characters, as it keeps the path's first maxPath.
func TestALongMethodIsCut(t *testing.T) {
	var buf bytes.Buffer
	h := router(slog.New(slog.NewJSONHandler(&buf, nil)))
	method := strings.Repeat("B", 60000)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "/web/v1/empty", nil))
	if got := lastLine(t, &buf); got["method"] != method[:maxMethod]+"…" {
		t.Errorf("method %.80v, want its first %d characters and a mark", got["method"], maxMethod)
	}
	if n := buf.Len(); n > 1000 {
		t.Errorf("a %d-byte line for one request", n)
	}
}

// Below the logger's level, nothing is written.
func TestLevelFiltersAccessLines(t *testing.T) {
	var buf bytes.Buffer
	h := router(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	serve(t, h, "/web/v1/empty")
	serve(t, h, "/web/v1/panic")
	if out := buf.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, `"status":500`) {
		t.Errorf("at warn, want only the 500 line:\n%s", out)
	}
}

// The server span is named after the route, so that all requests of one
// route are one operation, and the line names the trace.
func TestNamesTheSpanAfterTheRoute(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	var buf bytes.Buffer
	h := telemetry.With(tp).Handler(router(slog.New(slog.NewJSONHandler(&buf, nil))), func(*http.Request) bool { return true })
	serve(t, h, "/web/v1/videos/8")
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "GET /web/v1/videos/{aid}" {
		t.Fatalf("spans %v", spans)
	}
	route := ""
	for _, a := range spans[0].Attributes {
		if a.Key == "http.route" {
			route = a.Value.AsString()
		}
	}
	if route != "/web/v1/videos/{aid}" {
		t.Errorf("http.route = %q", route)
	}
	if got := lastLine(t, &buf)["trace_id"]; got != spans[0].SpanContext.TraceID().String() {
		t.Errorf("trace_id %v, want %s", got, spans[0].SpanContext.TraceID())
	}
}

func TestNoteOutsideTheMiddlewareIsHarmless(t *testing.T) {
	Note(context.Background(), "web", "feed", nil)
	Failed(context.Background(), "archive", "timeout")
}

// The client is the address the trusted proxy says it had the request
// from: the last X-Forwarded-For entry, the one it added. Entries before
// it, and the header from a peer not trusted, are the client's own claims.
func TestClientIsWhatTheTrustedProxyForwardedFor(t *testing.T) {
	for _, c := range []struct {
		name, remote string
		xff          []string
		want         any
	}{
		{"the gateway's", "192.0.2.1:5555", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a chain: the last is the proxy's", "192.0.2.1:5555", []string{"10.0.0.1, 198.51.100.4"}, "198.51.100.4"},
		{"two fields: the last", "192.0.2.1:5555", []string{"10.0.0.1", "198.51.100.4"}, "198.51.100.4"},
		{"IPv6", "192.0.2.1:5555", []string{"2001:db8::7"}, "2001:db8::7"},
		{"not an address", "192.0.2.1:5555", []string{"me, <script>"}, nil},
		{"none", "192.0.2.1:5555", nil, nil},
		{"from a peer not trusted", "198.51.100.66:4000", []string{"203.0.113.9"}, nil},
	} {
		var buf bytes.Buffer
		h := router(slog.New(slog.NewJSONHandler(&buf, nil)))
		header := http.Header{}
		if c.xff != nil {
			header["X-Forwarded-For"] = c.xff
		}
		serveFrom(t, h, "/web/v1/empty", c.remote, header)
		got := lastLine(t, &buf)
		if got["client"] != c.want || got["remote"] != c.remote {
			t.Errorf("%s: client %v remote %v, want %v and %s", c.name, got["client"], got["remote"], c.want, c.remote)
		}
	}
}
