// Package assemble assembles device-neutral scenes (bff/scene) from the
// downstream services. Each scene is a dataflow (flow.go) whose code reads
// like its row in docs/ARCHITECTURE.md; adapting the result for a device
// happens elsewhere.
package assemble

import (
	"context"
	"log/slog"
	"time"

	"mosaic/clients"
	"mosaic/clients/conn"
	"mosaic/internal/telemetry"
)

// Service assembles scenes from the six downstream clients.
type Service struct {
	*clients.Set
	// CallTimeout is a downstream call's own timeout. An optional step
	// that a critical one waits on gives up that long before the scene's
	// deadline (leaveRoom), so the critical call still has the whole of
	// it: a slow optional service costs its section, and never a 504
	// that blames the healthy service after it. 0: no such bound.
	CallTimeout time.Duration
	// Logger gets a scene step's panic with its stack; nil logs nothing.
	Logger *slog.Logger
}

// flow starts a scene's dataflow.
func (s *Service) flow(ctx context.Context) *flow {
	fl := newFlow(ctx)
	fl.logger = telemetry.WithContextIDs(s.Logger)
	return fl
}

// leaveRoom gives the calls of an optional step that a critical one waits
// on a timeout ending s.CallTimeout before ctx's deadline. It is the
// calls' own (conn.WithTimeout): a service that outlives it is blamed for
// it, so one that hangs is throttled, as it would be at its usual
// timeout. With no time left for it, the step's context ends at once, the
// caller's doing. Without a deadline, or with no call timeout, ctx is left
// as it is.
func (s *Service) leaveRoom(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok || s.CallTimeout <= 0 {
		return ctx, func() {}
	}
	budget := time.Until(d) - s.CallTimeout
	if budget <= 0 {
		return context.WithDeadline(ctx, d.Add(-s.CallTimeout))
	}
	return conn.WithTimeout(ctx, budget), func() {}
}
