package conn

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// Metrics are the downstream series of DESIGN.md, labelled by the short
// service name ("archive") and the method ("BatchGetArchives").
type Metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	batch    *prometheus.HistogramVec
}

// NewMetrics creates the downstream series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bff_downstream_calls_total",
			Help: "Downstream gRPC calls by service, method and status code.",
		}, []string{"service", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bff_downstream_call_duration_seconds",
			Help:    "Downstream gRPC call latency.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .04, .08, .16, .32, .64, 1.28},
		}, []string{"service", "method"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bff_downstream_batch_size",
			Help:    "IDs per downstream batch call.",
			Buckets: []float64{1, 2, 5, 10, 20, 30, 40, 50},
		}, []string{"service", "method"}),
	}
	reg.MustRegister(m.calls, m.duration, m.batch)
	return m
}

func (m *Metrics) interceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	service, name := splitMethod(method)
	start := time.Now()
	err := invoker(ctx, method, req, reply, cc, opts...)
	m.duration.WithLabelValues(service, name).Observe(time.Since(start).Seconds())
	m.calls.WithLabelValues(service, name, status.Code(err).String()).Inc()
	if n, ok := BatchSize(req); ok {
		m.batch.WithLabelValues(service, name).Observe(float64(n))
	}
	return err
}

// splitMethod turns "/archive.v1.ArchiveService/BatchGetArchives" into
// ("archive", "BatchGetArchives").
func splitMethod(full string) (service, method string) {
	full = strings.TrimPrefix(full, "/")
	svc, method, _ := strings.Cut(full, "/")
	service, _, _ = strings.Cut(svc, ".")
	return service, method
}

// BatchSize is the number of IDs a batch request carries; ok is false for
// requests that are not keyed by an ID set.
func BatchSize(req any) (n int, ok bool) {
	switch r := req.(type) {
	case interface{ GetAids() []int64 }:
		return len(r.GetAids()), true
	case interface{ GetMids() []int64 }:
		return len(r.GetMids()), true
	case interface{ GetTargetMids() []int64 }:
		return len(r.GetTargetMids()), true
	}
	return 0, false
}
