package telemetry

import (
	"context"
	"log/slog"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// loggedExporter tells of failed exports in the service's log. The SDK's
// batcher hands an exporter's error to OpenTelemetry's global error
// handler, which prints a plain-text line on stderr for every failed batch:
// a line a JSON log pipeline cannot read, many a second while a collector is
// down. Here a failure is logged when exports start failing, then at most
// once every quiet while they go on failing, with the spans lost since, and
// once more when they succeed again. The error is not passed on: it has
// been told.
type loggedExporter struct {
	sdktrace.SpanExporter
	logger *slog.Logger
	quiet  time.Duration

	mu      sync.Mutex
	failing bool
	told    time.Time // when the last failure was logged
	lost    int       // spans lost since then
	lostAll int       // spans lost since exports began failing
}

func (e *loggedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	switch {
	case err == nil && e.failing:
		e.logger.Info("exporting traces again", "lost_spans", e.lostAll)
		e.failing, e.lost, e.lostAll = false, 0, 0
	case err != nil:
		e.lost += len(spans)
		e.lostAll += len(spans)
		if !e.failing || now.Sub(e.told) >= e.quiet {
			e.logger.Warn("traces not exported", "error", err, "lost_spans", e.lost)
			e.failing, e.told, e.lost = true, now, 0
		}
	}
	return nil
}

// Shutdown tells of the spans lost since the last line, which the exit
// would otherwise leave untold.
func (e *loggedExporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if e.failing && e.lost > 0 {
		e.logger.Warn("traces not exported", "lost_spans", e.lost)
		e.lost = 0
	}
	e.mu.Unlock()
	return e.SpanExporter.Shutdown(ctx)
}
