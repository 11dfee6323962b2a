package conn

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc/status"
)

// logFailure writes one line per failed call: a warning, or an info line
// when the call was cut because its caller was done (the scene's deadline,
// a client's hang-up, the shutdown), which says nothing against the
// service and comes by the hundred when clients leave. The request and
// trace ids come from ctx through the logger's handler
// (internal/telemetry), so the line can be matched with the request's
// access line.
func (c *caller) logFailure(ctx context.Context, method string, req any, took time.Duration, err error, o outcome, addr net.Addr) {
	level := slog.LevelWarn
	if o == callerDone {
		level = slog.LevelInfo
	}
	if c.logger == nil || err == nil || !c.logger.Enabled(ctx, level) {
		return
	}
	_, name := splitMethod(method)
	attrs := []slog.Attr{
		slog.String("service", c.service),
		slog.String("method", name),
		slog.String("code", failureCode(err)),
		slog.Float64("duration_ms", millis(took)),
	}
	if n, ok := BatchSize(req); ok {
		attrs = append(attrs, slog.Int("batch", n))
	}
	if addr != nil {
		attrs = append(attrs, slog.String("peer", addr.String()))
	}
	switch o {
	case callerDone:
		// The scene's deadline or the client's hang-up, not the service;
		// or a cause of the caller's own, such as the server cutting what
		// is left at the end of its shutdown grace, which the line names.
		attrs = append(attrs, slog.Bool("caller_done", true))
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			attrs = append(attrs, slog.String("cause", cause.Error()))
		}
	case bffStarved:
		// The BFF was short of CPU when the call timed out: the answer may
		// have come in time and sat unread. Not held against the service.
		attrs = append(attrs, slog.Bool("bff_starved", true))
	}
	attrs = append(attrs, slog.String("error", err.Error()))
	c.logger.LogAttrs(ctx, level, "downstream call failed", attrs...)
}

// failureCode names err as the bff_downstream_calls_total code label does.
func failureCode(err error) string {
	if errors.Is(err, ErrCircuitOpen) {
		return "circuit_open"
	}
	return status.Code(err).String()
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
