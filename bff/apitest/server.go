// Package apitest runs mosaic end to end for tests: the mock downstreams
// over real gRPC on loopback, the public handler on an httptest server, and
// every response checked against api.openapi.yaml.
package apitest

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"mosaic/bff/admission"
	"mosaic/bff/openapi"
	"mosaic/bff/request"
	"mosaic/bff/server"
	"mosaic/clients/conn"
	"mosaic/internal/telemetry"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
)

// Seed is the dataset every end-to-end test and golden file uses.
const Seed = 1

// Options tune the topology of one test.
type Options struct {
	// Latency is added to every downstream call.
	Latency time.Duration
	// Deadline is the scene deadline; 0 means the production default
	// (server.Defaults).
	Deadline time.Duration
	// Interceptors run at the mock servers, after the latency (to slow down
	// or fail one service).
	Interceptors []grpc.UnaryServerInterceptor
	// Breaker tunes the downstream circuit breakers; zero is the default.
	Breaker conn.BreakerSettings
	// Trust replaces loopback as who may set X-User-Id.
	Trust request.Trust
	// Admission tunes the adaptive admission of scene requests (zero
	// fields: server.Defaults; Target: an eighth of the deadline).
	Admission admission.Config
	// Starved replaces the process's starvation signal given to the
	// downstream throttles (default: the Go scheduler's latency).
	Starved func() bool
	// CallTimeout bounds each downstream call; 0 means the production
	// default (server.Defaults).
	CallTimeout time.Duration
	// RealMode wires the BFF as against real downstreams: X-Mock-Scenario
	// is neither validated nor forwarded. The mocks still honor it, so a
	// leak would show.
	RealMode bool
	// Targets replace the mock cluster's target of the services they name,
	// e.g. static:///a,b,c for several instances the test runs itself.
	Targets map[string]string
	// Policy forces the downstream balancing policy (conn.Options.Policy);
	// "" is the production default.
	Policy string
	// Logger gets the access and downstream failure lines; nil discards
	// them.
	Logger *slog.Logger
	// TracerProvider, if set, records a server span per request and a
	// client span per downstream call, as cmd/bff does with OTLP.
	TracerProvider trace.TracerProvider
	// CORSOrigins may call the web routes from a browser (-cors-origins).
	CORSOrigins []string
	// ServerTiming sends Server-Timing to every caller (-server-timing).
	ServerTiming bool
	// Cache replaces the entity caches' settings (server.Defaults: on);
	// NoCache() is -cache=false, for a test counting the calls a screen
	// makes when nothing is in memory.
	Cache *server.Cache
	// Data is the dataset the mocks serve; nil is the shared, read-only
	// one of Seed. A test that changes entities (dataset.UpdateArchive)
	// brings its own.
	Data *dataset.Dataset
}

// NoCache is the entity caches off, as -cache=false.
func NoCache() *server.Cache { return &server.Cache{} }

// Server is a running mosaic over the mock downstreams.
type Server struct {
	URL      string
	Data     *dataset.Dataset
	Recorder *record.Recorder
	Spec     *openapi.Spec
	// Deadline is the scene deadline in force.
	Deadline time.Duration
	// Handler is the public handler URL serves, for in-process callers.
	Handler http.Handler
	// Admin is the admin handler: /metrics, /readyz, the QA pages.
	Admin http.Handler
	// Cache is the entity caches' settings in force.
	Cache  server.Cache
	client *http.Client
}

// Start runs the topology for the life of t.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	data := opts.Data
	if data == nil {
		data = dataset.Shared(Seed)
	}
	rec := &record.Recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	cluster, err := cluster.Start(ctx, data, fakes.Options{Recorder: rec, Latency: opts.Latency, Interceptors: opts.Interceptors, Scenarios: true})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	targets := server.MockTargets(cluster)
	maps.Copy(targets, opts.Targets)
	cfg := opts.config()
	h, closeConns, err := server.New(cfg, opts.deps(targets))
	if err != nil {
		cluster.Stop()
		cancel()
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Public)
	t.Cleanup(func() {
		srv.Close()
		closeConns()
		cluster.Stop()
		cancel()
	})
	// The server's own client, whose connections close with it; it asks for
	// no compression unless a test sends Accept-Encoding (see Do).
	client := srv.Client()
	client.Transport.(*http.Transport).DisableCompression = true
	return &Server{URL: srv.URL, Data: data, Recorder: rec, Spec: h.Spec, Deadline: cfg.Deadline, Handler: h.Public, Admin: h.Admin, Cache: cfg.Cache, client: client}
}

// config is cmd/bff's default configuration with the options' overrides.
func (o Options) config() server.Config {
	c := server.Defaults()
	c.Mock = !o.RealMode
	c.Seed = Seed
	c.Deadline = cmp.Or(o.Deadline, c.Deadline)
	c.CallTimeout = cmp.Or(o.CallTimeout, c.CallTimeout)
	a := o.Admission
	a.Min = cmp.Or(a.Min, c.Admission.Min)
	a.Max = cmp.Or(a.Max, c.Admission.Max)
	a.QueueWait = cmp.Or(a.QueueWait, c.Admission.QueueWait)
	c.Admission = a
	c.Breaker, c.Policy = o.Breaker, o.Policy
	c.Trust = o.Trust
	if c.Trust == nil {
		c.Trust = request.Loopback()
	}
	c.CORSOrigins, c.ServerTiming = o.CORSOrigins, o.ServerTiming
	if o.Cache != nil {
		c.Cache = *o.Cache
	}
	return c
}

// deps are the options' logger, tracer and starvation signal, or the
// defaults: a discarding logger, tracing off, the scheduler's latency.
func (o Options) deps(targets map[string]string) server.Deps {
	d := server.Deps{
		Targets: targets,
		Logger:  o.Logger,
		Tracing: telemetry.Off(),
		Metrics: prometheus.NewRegistry(),
		Starved: o.Starved,
		Ready:   func() error { return nil },
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TracerProvider != nil {
		d.Tracing = telemetry.With(o.TracerProvider)
	}
	if d.Starved == nil {
		d.Starved = admission.NewStarvation(admission.StarvationConfig{}).Starved
	}
	return d
}

// Response is one answer, already checked against the spec.
type Response struct {
	Status int
	Header http.Header
	// Body is decoded: Content-Encoding undone.
	Body []byte
	// Wire is the length of the body as sent, encoded or not.
	Wire int
}

// Get requests path with headers (name, value, name, value...) and fails t
// if the response does not match api.openapi.yaml.
func (s *Server) Get(t testing.TB, path string, headers ...string) Response {
	t.Helper()
	return s.Do(t, http.MethodGet, path, headers...)
}

// Do sends a request with method to path with headers (name, value, ...;
// a later value of a name replaces an earlier one). No Accept-Encoding goes
// unless given; a gzip or zstd body is decoded. A GET's answer must match
// api.openapi.yaml; other methods' answers are for the test to judge (HEAD
// and the CORS preflight are HTTP's, not operations of the spec).
func (s *Server) Do(t testing.TB, method, path string, headers ...string) Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.Send(t, req, method == http.MethodGet)
}

// Send sends req as Do does, checking the answer against api.openapi.yaml
// when validate is set (not for what the spec does not describe, such as
// the /docs page).
func (s *Server) Send(t testing.TB, req *http.Request, validate bool) Response {
	t.Helper()
	method, path := req.Method, req.URL.RequestURI()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	wire, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := decode(resp.Header.Get("Content-Encoding"), wire)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if validate {
		if err := s.Spec.Validate(req, resp.StatusCode, resp.Header, body); err != nil {
			t.Errorf("%v\nbody: %s", err, clip(body))
		}
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Wire: len(wire)}
}

// decode undoes the content codings the public listener applies.
func decode(coding string, b []byte) ([]byte, error) {
	var r io.ReadCloser
	var err error
	switch coding {
	case "":
		return b, nil
	case "gzip":
		r, err = gzip.NewReader(bytes.NewReader(b))
	case "zstd":
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(b))
		if err == nil {
			r = d.IOReadCloser()
		}
	default:
		return nil, fmt.Errorf("unexpected Content-Encoding %q", coding)
	}
	if err != nil {
		return nil, fmt.Errorf("%s body: %w", coding, err)
	}
	defer r.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s body: %w", coding, err)
	}
	return out, nil
}

func clip(b []byte) string {
	s := string(b)
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return strings.TrimSpace(s)
}
