package conn

import (
	"context"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/stats"
)

// BatchSizeAttr is the span attribute holding the IDs a call asked for.
const BatchSizeAttr = "mosaic.batch_size"

// tracer gives every call a client span (otelgrpc's stats handler: the
// interceptors are deprecated) and carries the trace to the service in
// its metadata, as W3C traceparent unless p says otherwise. It records
// no metrics: mosaic's own Prometheus series already count every call.
func tracer(tp trace.TracerProvider, p propagation.TextMapPropagator) stats.Handler {
	if p == nil {
		p = propagation.TraceContext{}
	}
	return batchSizer{otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(tp),
		otelgrpc.WithPropagators(p),
		otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()),
	)}
}

// batchSizer puts the batch size on the client span. It has to be a stats
// handler: the span exists only inside the call, where the interceptor
// cannot reach it, and the request is there as the outgoing payload.
type batchSizer struct{ stats.Handler }

func (b batchSizer) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if out, ok := s.(*stats.OutPayload); ok && out.Client {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			if n, ok := BatchSize(out.Payload); ok {
				span.SetAttributes(attribute.Int(BatchSizeAttr, n))
			}
		}
	}
	b.Handler.HandleRPC(ctx, s)
}

// injected is what p puts in a call's metadata to carry ctx's trace on
// when no span is recorded for the call: the caller's traceparent, as it
// came. Nothing, and no allocation, when ctx has no trace.
func injected(ctx context.Context, p propagation.TextMapPropagator) []string {
	if p == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	var kv kvCarrier
	p.Inject(ctx, &kv)
	return kv
}

// kvCarrier collects injected fields as metadata pairs.
type kvCarrier []string

func (c *kvCarrier) Get(string) string { return "" }
func (c *kvCarrier) Set(k, v string)   { *c = append(*c, k, v) }
func (c *kvCarrier) Keys() []string    { return nil }
