package bff_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"mosaic/bff/apitest"
	"mosaic/clients/conn"
	"mosaic/internal/reqid"
	"mosaic/mocks/record"
)

const (
	gatewayTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	gatewaySpan  = "00f067aa0ba902b7"
	traceparent  = "00-" + gatewayTrace + "-" + gatewaySpan + "-01"
)

// A signed-in web feed calls five downstream methods.
var feedMethods = []string{
	"account.v1.AccountService/BatchGetProfiles",
	"archive.v1.ArchiveService/BatchGetArchives",
	"feed.v1.FeedService/Recommend",
	"relation.v1.RelationService/BatchGetRelations",
	"stat.v1.StatService/BatchGetStats",
}

// waitServerSpan waits for the request's server span, which ends only
// after the response has reached the client.
func waitServerSpan(t *testing.T, exp *tracetest.InMemoryExporter) tracetest.SpanStubs {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		spans := exp.GetSpans()
		for _, s := range spans {
			if s.SpanKind == trace.SpanKindServer {
				return spans
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no server span in 5s; have %d spans", len(spans))
		}
	}
}

func batchAttr(s tracetest.SpanStub) (int64, bool) {
	for _, a := range s.Attributes {
		if a.Key == conn.BatchSizeAttr {
			return a.Value.AsInt64(), true
		}
	}
	return 0, false
}

// One request is one trace: a server span named after the route (child of
// the gateway's span when a traceparent came in) and one client span per
// downstream call under it, with the call's batch size. Each mock receives
// the traceparent of its own client span and the request's id.
func TestOneTracePerRequestAcrossTheDownstreams(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	// Caches off: each request of the test makes all its calls.
	srv := apitest.Start(t, apitest.Options{TracerProvider: tp, Cache: apitest.NoCache()})

	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"from the gateway", []string{"X-User-Id", "42", "X-Request-Id", "trace-a", "traceparent", traceparent}},
		{"a new trace", []string{"X-User-Id", "42", "X-Request-Id", "trace-b"}},
	} {
		srv.Recorder.Reset()
		exp.Reset()
		if resp := srv.Get(t, "/web/v1/feed", tc.headers...); resp.Status != http.StatusOK {
			t.Fatalf("%s: status %d", tc.name, resp.Status)
		}
		spans := waitServerSpan(t, exp)
		var server tracetest.SpanStub
		clients := map[string]tracetest.SpanStub{}
		for _, s := range spans {
			switch s.SpanKind {
			case trace.SpanKindServer:
				server = s
			case trace.SpanKindClient:
				if _, dup := clients[s.Name]; dup {
					t.Errorf("%s: two client spans for %s", tc.name, s.Name)
				}
				clients[s.Name] = s
			}
		}
		if len(spans) != 1+len(feedMethods) || server.Name != "GET /web/v1/feed" {
			t.Errorf("%s: %d spans (want 1 server + %d client), server span %q", tc.name, len(spans), len(feedMethods), server.Name)
		}
		id := server.SpanContext.TraceID()
		if gateway := len(tc.headers) > 4; gateway {
			if id.String() != gatewayTrace || server.Parent.SpanID().String() != gatewaySpan || !server.Parent.IsRemote() {
				t.Errorf("%s: server span in trace %s under %s, want the gateway's %s under %s", tc.name, id, server.Parent.SpanID(), gatewayTrace, gatewaySpan)
			}
		} else if server.Parent.IsValid() || !id.IsValid() {
			t.Errorf("%s: server span is not a new root: parent %v", tc.name, server.Parent)
		}

		calls := srv.Recorder.Calls()
		if len(calls) != len(feedMethods) {
			t.Errorf("%s: %d downstream calls, want %d", tc.name, len(calls), len(feedMethods))
		}
		for _, c := range calls {
			name := c.Method[1:]
			s, ok := clients[name]
			if !ok {
				t.Errorf("%s: no client span for %s", tc.name, name)
				continue
			}
			if s.SpanContext.TraceID() != id || s.Parent.SpanID() != server.SpanContext.SpanID() {
				t.Errorf("%s: %s is not a child of the server span", tc.name, name)
			}
			if n, ok := batchAttr(s); c.Batch > 0 && (!ok || n != int64(c.Batch)) || c.Batch == 0 && ok {
				t.Errorf("%s: %s has %s=%d (set %v), the mock saw a batch of %d", tc.name, name, conn.BatchSizeAttr, n, ok, c.Batch)
			}
			want := "00-" + id.String() + "-" + s.SpanContext.SpanID().String() + "-01"
			if got := c.Metadata.Get("traceparent"); !slices.Equal(got, []string{want}) {
				t.Errorf("%s: %s received traceparent %v, want %s", tc.name, name, got, want)
			}
			if got := c.Metadata.Get(reqid.MetadataKey); !slices.Equal(got, []string{tc.headers[3]}) {
				t.Errorf("%s: %s received x-request-id %v, want %s", tc.name, name, got, tc.headers[3])
			}
		}
	}
}

// With tracing off (no OTLP endpoint), nothing is recorded but the
// gateway's traceparent still reaches every downstream, unchanged, so its
// trace goes on past mosaic. The request id goes down in real mode too,
// the one mosaic made when the caller sent none.
func TestTraceAndRequestIDPassThroughWhenNotRecording(t *testing.T) {
	// Caches off: each request of the test makes all its calls.
	srv := apitest.Start(t, apitest.Options{RealMode: true, Cache: apitest.NoCache()})
	calls := func(headers ...string) ([]record.Call, apitest.Response) {
		srv.Recorder.Reset()
		resp := srv.Get(t, "/app/v1/feed", headers...)
		if resp.Status != http.StatusOK {
			t.Fatalf("status %d", resp.Status)
		}
		return srv.Recorder.Calls(), resp
	}
	got, _ := calls("X-User-Id", "42", "traceparent", traceparent, "X-Request-Id", "pass-1")
	for _, c := range got {
		if tp := c.Metadata.Get("traceparent"); !slices.Equal(tp, []string{traceparent}) {
			t.Errorf("%s received traceparent %v, want %s", c.Method, tp, traceparent)
		}
		if id := c.Metadata.Get(reqid.MetadataKey); !slices.Equal(id, []string{"pass-1"}) {
			t.Errorf("%s received x-request-id %v", c.Method, id)
		}
	}
	got, resp := calls("X-User-Id", "42", "X-Request-Id", "bad id")
	made := resp.Header.Get("X-Request-Id")
	if made == "" || made == "bad id" {
		t.Fatalf("X-Request-Id %q: an insane id was kept or none made", made)
	}
	for _, c := range got {
		if tp := c.Metadata.Get("traceparent"); len(tp) != 0 {
			t.Errorf("%s received traceparent %v without a trace", c.Method, tp)
		}
		if id := c.Metadata.Get(reqid.MetadataKey); !slices.Equal(id, []string{made}) {
			t.Errorf("%s received x-request-id %v, want the one made, %s", c.Method, id, made)
		}
	}
	if len(got) != len(feedMethods) {
		t.Errorf("%d calls, want %d", len(got), len(feedMethods))
	}
}

// The cost of what a request tells: tracing off (no OTLP endpoint, the
// default), spans recorded (and dropped: no exporter), and spans plus a
// JSON access line. Compare ns/op and allocs/op within one run.
func BenchmarkFeedObservability(b *testing.B) {
	recording := sdktrace.NewTracerProvider()
	defer recording.Shutdown(context.Background())
	for _, bc := range []struct {
		name string
		opts apitest.Options
	}{
		{"off", apitest.Options{}},
		{"spans", apitest.Options{TracerProvider: recording}},
		{"spans+logs", apitest.Options{TracerProvider: recording, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := apitest.Start(b, bc.opts)
			req := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
			req.Header.Set("X-User-Id", "42")
			req.RemoteAddr = "127.0.0.1:1"
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				srv.Handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
