package conn

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/status"
)

// Metrics are the downstream series of docs/ARCHITECTURE.md, labelled by the short
// service name ("archive") and the method ("BatchGetArchives").
type Metrics struct {
	calls       *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	batch       *prometheus.HistogramVec
	transitions *prometheus.CounterVec
	ratio       *prometheus.GaugeVec
}

// NewMetrics creates the downstream series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bff_downstream_calls_total",
			Help: "Downstream gRPC calls by service, method and status code (circuit_open: refused locally by the service's adaptive throttle).",
		}, []string{"service", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bff_downstream_call_duration_seconds",
			Help: "Downstream gRPC call latency, retries included.",
			// An edge at the default call timeout (0.5 s): a call it cut is
			// told apart from a slow answer.
			Buckets: []float64{.001, .0025, .005, .01, .02, .04, .08, .16, .25, .32, .4, .5, .64, 1.28},
		}, []string{"service", "method"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bff_downstream_batch_size",
			Help:    "IDs per downstream batch call.",
			Buckets: []float64{1, 2, 5, 10, 20, 30, 40, 50},
		}, []string{"service", "method"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bff_downstream_breaker_transitions_total",
			Help: "Changes of a service's adaptive throttle: to=throttling when it starts refusing calls, to=closed when it stops.",
		}, []string{"service", "to"}),
		ratio: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bff_downstream_throttle_ratio",
			Help: "Probability that the adaptive throttle refuses a call to the service, as of its latest call (0: closed).",
		}, []string{"service"}),
	}
	reg.MustRegister(m.calls, m.duration, m.batch, m.transitions, m.ratio)
	return m
}

// serviceMetrics caches one service's series per method, so that a call
// does not hash its label values three times.
type serviceMetrics struct {
	m       *Metrics
	service string
	methods sync.Map // full method → *methodMetrics
}

type methodMetrics struct {
	name     string
	ok       prometheus.Counter
	duration prometheus.Observer
	batch    prometheus.Observer // nil for a method not keyed by an ID set
}

func (m *Metrics) forService(service string) *serviceMetrics {
	if m == nil {
		return nil
	}
	return &serviceMetrics{m: m, service: service}
}

// watch counts t's state changes and exports its refusal ratio.
func (s *serviceMetrics) watch(t *throttle) {
	if s == nil {
		return
	}
	throttling := s.m.transitions.WithLabelValues(s.service, "throttling")
	closed := s.m.transitions.WithLabelValues(s.service, "closed")
	ratio := s.m.ratio.WithLabelValues(s.service)
	t.onChange = func(on bool) {
		if on {
			throttling.Inc()
		} else {
			closed.Inc()
		}
	}
	t.onRatio = ratio.Set
}

func (s *serviceMetrics) observe(fullMethod string, req any, took time.Duration, err error) {
	if s == nil {
		return
	}
	mm := s.method(fullMethod, req)
	mm.duration.Observe(took.Seconds())
	if n, ok := BatchSize(req); ok && mm.batch != nil {
		mm.batch.Observe(float64(n))
	}
	switch {
	case err == nil:
		mm.ok.Inc()
	case errors.Is(err, ErrCircuitOpen):
		s.m.calls.WithLabelValues(s.service, mm.name, "circuit_open").Inc()
	default:
		s.m.calls.WithLabelValues(s.service, mm.name, status.Code(err).String()).Inc()
	}
}

func (s *serviceMetrics) method(fullMethod string, req any) *methodMetrics {
	if mm, ok := s.methods.Load(fullMethod); ok {
		return mm.(*methodMetrics)
	}
	_, name := splitMethod(fullMethod)
	mm := &methodMetrics{
		name:     name,
		ok:       s.m.calls.WithLabelValues(s.service, name, "OK"),
		duration: s.m.duration.WithLabelValues(s.service, name),
	}
	// A method's request type is fixed: one that carries no ID set never
	// will, and gets no batch series (an empty one would read as a batch
	// method never called).
	if _, ok := BatchSize(req); ok {
		mm.batch = s.m.batch.WithLabelValues(s.service, name)
	}
	actual, _ := s.methods.LoadOrStore(fullMethod, mm)
	return actual.(*methodMetrics)
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
