package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracing is where spans go and how a trace crosses a hop. It is handed to
// the HTTP server and to the downstream connections explicitly: mosaic
// sets none of OpenTelemetry's globals.
type Tracing struct {
	// Provider records spans; nil when tracing is off.
	Provider   trace.TracerProvider
	Propagator propagation.TextMapPropagator
	// Endpoint is where spans are exported, for the log: without the
	// credentials a URL may carry (user and password, a query, a
	// fragment); "" when spans are not exported.
	Endpoint string
	shutdown func(context.Context) error
}

// Off records no span and costs next to nothing, yet still continues the
// gateway's trace: a W3C traceparent that comes in is put on the request's
// context and passed on to the downstream services as it came.
func Off() Tracing {
	return Tracing{Propagator: propagation.TraceContext{}}
}

// With records spans in tp, e.g. a test's in-memory exporter; the caller
// owns tp's shutdown.
func With(tp trace.TracerProvider) Tracing {
	return Tracing{Provider: tp, Propagator: propagation.TraceContext{}}
}

// FromEnv exports spans over OTLP when the standard
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set
// (protocol from OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL: http/protobuf, the
// default, or grpc; service name from OTEL_SERVICE_NAME, else service),
// and is Off otherwise or with OTEL_SDK_DISABLED=true. Sampling follows
// OTEL_TRACES_SAMPLER and its _ARG as the SDK reads them, parent-based
// always-on by default; a value the SDK would not take is refused.
// Shutdown flushes the spans not yet sent. Failed exports are told in
// logger, not on stderr by OpenTelemetry's global error handler.
func FromEnv(ctx context.Context, logger *slog.Logger, getenv func(string) string, service string) (Tracing, error) {
	endpoint, perSignal := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), true
	if endpoint == "" {
		endpoint, perSignal = getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), false
	}
	if endpoint == "" || strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return Off(), nil
	}
	sampler, err := samplerFromEnv(getenv)
	if err != nil {
		return Tracing{}, err
	}
	exp, release, err := exporter(ctx, getenv, endpoint, perSignal)
	if err != nil {
		return Tracing{}, err
	}
	if name := getenv("OTEL_SERVICE_NAME"); name != "" {
		service = name
	}
	// An attribute's value is cut past maxAttribute: otelhttp records a
	// method it does not know in full (http.request.method_original), and
	// a client's made-up one can be as long as its header allows.
	limits := sdktrace.NewSpanLimits()
	limits.AttributeValueLengthLimit = maxAttribute
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithRawSpanLimits(limits),
		sdktrace.WithBatcher(&loggedExporter{SpanExporter: exp, logger: logger, quiet: time.Minute}),
		sdktrace.WithSampler(sampler),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
	)
	t := With(tp)
	t.Endpoint = redacted(endpoint)
	t.shutdown = func(ctx context.Context) error {
		defer release()
		return tp.Shutdown(ctx)
	}
	return t, nil
}

// maxAttribute bounds an attribute's value in an exported span, bytes.
const maxAttribute = 1024

// exporter sends spans to endpoint; release frees what it holds once it
// has been shut down.
func exporter(ctx context.Context, getenv func(string) string, endpoint string, perSignal bool) (exp sdktrace.SpanExporter, release func(), err error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("OTLP endpoint %q: want a URL such as http://collector:4318", redacted(endpoint))
	}
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch protocol {
	case "", "http/protobuf":
		if !perSignal {
			// The generic endpoint is a base: each signal has its own path.
			u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
		}
		// A transport of its own, not the exporter's shared one, so that
		// its idle connections close with it.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()),
			otlptracehttp.WithHTTPClient(&http.Client{Transport: tr, Timeout: 10 * time.Second}))
		return exp, tr.CloseIdleConnections, err
	case "grpc":
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(u.String()))
		return exp, func() {}, err
	}
	return nil, nil, fmt.Errorf("OTLP protocol %q: want http/protobuf or grpc", protocol)
}

// redacted is endpoint as it may be logged: a collector's URL can carry a
// password or a token (in its user part or its query), and the log is read
// by more people than the deployment's secrets are.
// A token in the path is kept: it is the collector's address, not a
// credential's place.
func redacted(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "(a URL that does not parse)" // its error would quote it whole
	}
	if u.Opaque != "" || u.Host == "" {
		// "user:pass@collector:4317" parses as scheme "user" and the rest
		// opaque: nothing in it can be told from a credential.
		return "(not an http or https URL)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// Shutdown flushes and stops the exporter, if any.
func (t Tracing) Shutdown(ctx context.Context) error {
	if t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Handler gives every request to h a server span, continuing the trace of
// the caller's traceparent when trusted says the caller may set it (the
// gateway, a peer of -trusted-proxies). Anyone else's traceparent starts a
// trace of its own, linked to the caller's: a client that sends one with
// its sampled flag set would otherwise decide which requests are recorded
// and exported, and what trace the logs name. The span is named after the
// method until the router, which alone knows the route, renames it (see
// bff/accesslog). With tracing off, h only gets a trusted caller's trace on
// its context, to log and pass on: no span, no instrumentation on the hot
// path.
func (t Tracing) Handler(h http.Handler, trusted func(*http.Request) bool) http.Handler {
	p := t.Propagator
	if p == nil {
		p = propagation.TraceContext{}
	}
	if t.Provider == nil {
		return continueTrace(h, p, trusted)
	}
	return otelhttp.NewHandler(h, "http.server",
		otelhttp.WithTracerProvider(t.Provider),
		otelhttp.WithPropagators(p),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithPublicEndpointFn(func(r *http.Request) bool { return !trusted(r) }),
	)
}

func continueTrace(h http.Handler, p propagation.TextMapPropagator, trusted func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !trusted(r) {
			h.ServeHTTP(w, r)
			return
		}
		if ctx := p.Extract(r.Context(), propagation.HeaderCarrier(r.Header)); ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}
