package admission

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the admission series: the limit in force and the requests
// shed, by reason.
type Metrics struct {
	limit     prometheus.Gauge
	shedLimit prometheus.Counter // resolved once: shedding hashes no labels
	shedQueue prometheus.Counter
}

// NewMetrics creates the admission series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	limit := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "bff_admission_limit",
		Help: "Scene requests the instance admits at once, as learned from latency.",
	})
	shed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bff_shed_total",
		Help: "Scene requests refused with 503 before any downstream call: reason=limit (the limit was reached), queue (waited too long to start).",
	}, []string{"reason"})
	reg.MustRegister(limit, shed)
	return &Metrics{limit: limit, shedLimit: shed.WithLabelValues("limit"), shedQueue: shed.WithLabelValues("queue")}
}

func (m *Metrics) setLimit(v float64) {
	if m != nil {
		m.limit.Set(float64(int(v)))
	}
}

func (m *Metrics) shed(v Verdict) {
	switch {
	case m == nil:
	case v == ShedQueue:
		m.shedQueue.Inc()
	default:
		m.shedLimit.Inc()
	}
}
