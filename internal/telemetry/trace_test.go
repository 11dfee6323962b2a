package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func trusts(ok bool) func(*http.Request) bool { return func(*http.Request) bool { return ok } }

// Without an OTLP endpoint nothing is recorded, yet the gateway's
// traceparent still reaches the handler's context, to be passed on; an
// untrusted caller's does not.
func TestOffRecordsNothingButCarriesTheTrace(t *testing.T) {
	for name, getenv := range map[string]func(string) string{
		"no endpoint": env(),
		"disabled":    env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_SDK_DISABLED", "true"),
	} {
		tr, err := FromEnv(context.Background(), slog.New(slog.DiscardHandler), getenv, "bff")
		if err != nil || tr.Endpoint != "" {
			t.Fatalf("%s: %+v, %v", name, tr, err)
		}
		for trusted, want := range map[bool]string{true: traceparent, false: ""} {
			var seen http.Header
			h := tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if trace.SpanFromContext(r.Context()).IsRecording() {
					t.Errorf("%s: a span is recorded", name)
				}
				seen = http.Header{}
				tr.Propagator.Inject(r.Context(), propagation.HeaderCarrier(seen))
			}), trusts(trusted))
			req := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
			req.Header.Set("traceparent", traceparent)
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got := seen.Get("traceparent"); got != want {
				t.Errorf("%s, trusted %v: passed on %q, want %q", name, trusted, got, want)
			}
		}
		if err := tr.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}
}

// A recording provider gets one server span per request, child of the
// caller's span.
func TestHandlerContinuesTheCallersTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	h := With(tp).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), trusts(true))
	req := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
	req.Header.Set("traceparent", traceparent)
	h.ServeHTTP(httptest.NewRecorder(), req)
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.SpanKind != trace.SpanKindServer || s.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		s.Parent.SpanID().String() != "00f067aa0ba902b7" || !s.Parent.IsRemote() {
		t.Errorf("span %s kind %v trace %s parent %s", s.Name, s.SpanKind, s.SpanContext.TraceID(), s.Parent.SpanID())
	}
}

// An untrusted caller's traceparent, sampled flag and all, starts a trace
// of the server's own, under the server's sampler, linked to the caller's:
// a client does not decide what is recorded and exported.
func TestHandlerLinksAnUntrustedCallersTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
	defer tp.Shutdown(context.Background())
	h := With(tp).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), trusts(false))
	req := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
	req.Header.Set("traceparent", traceparent) // sampled
	h.ServeHTTP(httptest.NewRecorder(), req)
	if spans := exp.GetSpans(); len(spans) != 0 {
		t.Fatalf("%d spans recorded for a client's sampled traceparent under a sampler that records none", len(spans))
	}
	tp2 := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp2.Shutdown(context.Background())
	With(tp2).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), trusts(false)).ServeHTTP(httptest.NewRecorder(), req)
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.SpanContext.TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent.IsValid() ||
		len(s.Links) != 1 || s.Links[0].SpanContext.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span trace %s, parent %v, links %v: want a trace of its own linked to the caller's span", s.SpanContext.TraceID(), s.Parent, s.Links)
	}
}

// received collects what an OTLP receiver was sent.
type received struct {
	mu    sync.Mutex
	paths []string
	reqs  []*coltracepb.ExportTraceServiceRequest
}

func (r *received) add(path string, req *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paths = append(r.paths, path)
	r.reqs = append(r.reqs, req)
}

// spans returns "service.name/span name" of everything received.
func (r *received) spans() (paths, spans []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, req := range r.reqs {
		for _, rs := range req.GetResourceSpans() {
			service := ""
			for _, a := range rs.GetResource().GetAttributes() {
				if a.GetKey() == "service.name" {
					service = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					spans = append(spans, service+"/"+s.GetName())
				}
			}
		}
	}
	return append([]string(nil), r.paths...), spans
}

func httpReceiver(t *testing.T) (*httptest.Server, *received) {
	rec := &received{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("%s: not an OTLP protobuf body: %v", r.URL.Path, err)
		}
		rec.add(r.URL.Path, &req)
		resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// exportOne records one span through FromEnv's provider and flushes it.
func exportOne(t *testing.T, getenv func(string) string) {
	t.Helper()
	exportOneLogging(t, slog.New(slog.DiscardHandler), getenv)
}

// exportOneLogging is exportOne with the provider's log in logger.
func exportOneLogging(t *testing.T, logger *slog.Logger, getenv func(string) string) {
	t.Helper()
	tr, err := FromEnv(context.Background(), logger, getenv, "bff")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Provider.Tracer("test").Start(context.Background(), "GET /web/v1/feed")
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// OTLP over HTTP is the default protocol; the generic endpoint is a base
// to which the traces path is added, the traces endpoint is used as is.
func TestExportsOverOTLPHTTP(t *testing.T) {
	srv, rec := httpReceiver(t)
	exportOne(t, env("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL+"/otlp/", "OTEL_SERVICE_NAME", "bff-test"))
	exportOne(t, env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", srv.URL+"/custom/traces", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"))
	paths, spans := rec.spans()
	if strings.Join(paths, " ") != "/otlp/v1/traces /custom/traces" {
		t.Errorf("posted to %v", paths)
	}
	if strings.Join(spans, " ") != "bff-test/GET /web/v1/feed bff/GET /web/v1/feed" {
		t.Errorf("spans %v", spans)
	}
}

// An attribute's value is cut to maxAttribute in what is exported: a
// client's 60 KB method, which otelhttp records as it came, does not make
// a 60 KB span.
func TestAnAttributesValueIsCut(t *testing.T) {
	srv, rec := httpReceiver(t)
	tr, err := FromEnv(context.Background(), slog.New(slog.DiscardHandler), env("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL), "bff")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Provider.Tracer("test").Start(context.Background(), "GET")
	span.SetAttributes(attribute.String("http.request.method_original", strings.Repeat("B", 60000)))
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	got := -1
	for _, req := range rec.reqs {
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					for _, a := range s.GetAttributes() {
						if a.GetKey() == "http.request.method_original" {
							got = len(a.GetValue().GetStringValue())
						}
					}
				}
			}
		}
	}
	if got != maxAttribute {
		t.Errorf("exported the attribute at %d bytes, want %d", got, maxAttribute)
	}
}

type grpcReceiver struct {
	coltracepb.UnimplementedTraceServiceServer
	rec *received
}

func (g grpcReceiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	g.rec.add("grpc", req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func TestExportsOverOTLPGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &received{}
	s := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(s, grpcReceiver{rec: rec})
	go s.Serve(ln)
	defer s.Stop()
	exportOne(t, env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+ln.Addr().String(), "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"))
	if _, spans := rec.spans(); strings.Join(spans, " ") != "bff/GET /web/v1/feed" {
		t.Errorf("spans %v", spans)
	}
}

// The endpoint, which the log shows, keeps no credential the URL carried;
// nor does the error of one refused.
func TestTheEndpointIsLoggedWithoutCredentials(t *testing.T) {
	tr, err := FromEnv(context.Background(), slog.New(slog.DiscardHandler),
		env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://user:s3cret@127.0.0.1:1/x?token=abc#frag"), "bff")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(context.Background())
	if tr.Endpoint != "http://127.0.0.1:1/x" {
		t.Errorf("Endpoint %q, want http://127.0.0.1:1/x", tr.Endpoint)
	}
	for _, endpoint := range []string{"ftp://user:s3cret@collector/?token=s3cret", "http://user:s3cret@%zz", "user:s3cret@collector:4317", "https:user:s3cret@collector"} {
		_, err := FromEnv(context.Background(), slog.New(slog.DiscardHandler), env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint), "bff")
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v, want an error without the secret", endpoint, err)
		}
	}
}

func TestRejectsWhatItCannotExportTo(t *testing.T) {
	for _, getenv := range []func(string) string{
		env("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
		env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
		env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector"),
	} {
		if tr, err := FromEnv(context.Background(), slog.New(slog.DiscardHandler), getenv, "bff"); err == nil {
			tr.Shutdown(context.Background())
			t.Errorf("accepted %+v", tr)
		}
	}
}
