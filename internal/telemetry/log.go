// Package telemetry sets up how mosaic tells what it did: structured logs
// (log/slog) whose lines carry the request and trace ids of the context
// they were logged with, and OpenTelemetry tracing, exported over OTLP
// only when the standard OTEL_EXPORTER_OTLP_ENDPOINT asks for it.
package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"mosaic/internal/reqid"
)

// Attribute keys every line of a request carries.
const (
	RequestIDKey = "request_id"
	TraceIDKey   = "trace_id"
)

// NewLogger writes lines at level and above to w, as JSON (one object a
// line, for machines) or text (key=value, for people). Its lines carry the
// request and trace ids of the context they are logged with.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch strings.ToLower(format) { // as the level, which slog reads in any case
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want json or text", format)
	}
	return slog.New(contextHandler{h}), nil
}

// WithContextIDs returns logger, its lines carrying the request and trace
// ids of their context; a logger that does so already is returned as it
// is, so that packages handed any logger can make sure of it. A nil logger
// stays nil.
func WithContextIDs(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return nil
	}
	if _, ok := logger.Handler().(contextHandler); ok {
		return logger
	}
	return slog.New(contextHandler{logger.Handler()})
}

// contextHandler adds the ids from the record's context. Reading them at
// the handler, rather than at every call site, is what puts them on every
// line of a request, including lines logged by packages that know nothing
// of requests (the downstream caller, the panic handler).
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := reqid.From(ctx); id != "" {
		r.AddAttrs(slog.String(RequestIDKey, id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		r.AddAttrs(slog.String(TraceIDKey, sc.TraceID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
