package conn

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"mosaic/internal/reqid"
)

// caller is the one interceptor every downstream call of a service goes
// through. Its steps, in order: the breaker may refuse the call; metadata
// (color, mock scenario) is attached; the per-call timeout starts; the call
// runs (grpc retries UNAVAILABLE inside it); the breaker, Server-Timing and
// the metrics learn how it went. One interceptor rather than a chain of
// five keeps the hot path shallow: every scene step runs it on a fresh
// goroutine whose stack would otherwise grow through every layer.
type caller struct {
	service         string
	breaker         *breaker
	metrics         *serviceMetrics // nil without Options.Metrics
	timeout         time.Duration
	forwardScenario bool

	logger     *slog.Logger                  // nil without Options.Logger
	propagator propagation.TextMapPropagator // set when no client span carries the trace
}

func (c *caller) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	start := time.Now()
	done, err := c.breaker.allow()
	if err != nil {
		err = fmt.Errorf("%s: %w", c.service, ErrCircuitOpen)
		c.observe(ctx, method, req, start, err)
		return err
	}
	callCtx := c.outgoing(ctx)
	if c.timeout > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(callCtx, c.timeout)
		defer cancel()
	}
	err = invoker(callCtx, method, req, reply, cc, opts...)
	if err != nil && ctx.Err() != nil {
		done(errCallerDone) // the scene's deadline, not this service's fault
	} else {
		done(err)
	}
	c.observe(ctx, method, req, start, err)
	return err
}

// outgoing attaches the request's id, traffic color and (when tracing is
// off) the caller's trace, and in mock mode only its fault scenario, as
// gRPC metadata, in one append.
func (c *caller) outgoing(ctx context.Context) context.Context {
	kv := make([]string, 0, 6)
	if id := reqid.From(ctx); id != "" {
		kv = append(kv, reqid.MetadataKey, id)
	}
	if color, _ := ctx.Value(colorKey).(string); color != "" {
		kv = append(kv, ColorKey, color)
	}
	if scenario, _ := ctx.Value(scenarioKey).(string); c.forwardScenario && scenario != "" {
		kv = append(kv, ScenarioKey, scenario)
	}
	kv = append(kv, injected(ctx, c.propagator)...)
	if len(kv) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

func (c *caller) observe(ctx context.Context, method string, req any, start time.Time, err error) {
	took := time.Since(start)
	if t, ok := ctx.Value(timingsKey).(*Timings); ok {
		t.add(c.service, method, took)
	}
	c.metrics.observe(method, req, took, err)
	c.logFailure(ctx, method, req, took, err)
}
