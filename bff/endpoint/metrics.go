package endpoint

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic/bff/scene"
)

// Metrics are the scene series of docs/ARCHITECTURE.md ("Metrics").
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	degraded *prometheus.CounterVec
	inFlight prometheus.Gauge
}

// NewMetrics creates the scene series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bff_http_requests_total",
			Help: "Scene requests by device, scene and HTTP status.",
		}, []string{"device", "scene", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bff_http_request_duration_seconds",
			Help:    "Scene request latency, from parsing to the last byte handed to the server.",
			Buckets: []float64{.005, .01, .02, .03, .04, .05, .075, .1, .2, .4, .8, 1.6},
		}, []string{"device", "scene"}),
		degraded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bff_degraded_sections_total",
			Help: "Sections of a 200 response listed in degraded: left out because an optional dependency failed, or served stale from the cache (reason stale).",
		}, []string{"scene", "section", "reason"}),
	}
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "bff_http_requests_in_flight",
		Help: "Scene requests being served now.",
	})
	reg.MustRegister(m.requests, m.duration, m.degraded, m.inFlight)
	return m
}

func (m *Metrics) observe(device, sceneName string, code int, took time.Duration, degraded []scene.Degraded) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(device, sceneName, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(device, sceneName).Observe(took.Seconds())
	for _, d := range degraded {
		m.degraded.WithLabelValues(sceneName, d.Section, d.Reason).Inc()
	}
}

// begin counts a request in flight until the returned func is called.
func (m *Metrics) begin() func() {
	if m == nil {
		return func() {}
	}
	m.inFlight.Inc()
	return m.inFlight.Dec
}
