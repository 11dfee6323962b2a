package endpoint

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic/bff/httpx"
	"mosaic/bff/scene"
)

// Metrics are the scene series of docs/ARCHITECTURE.md ("Metrics").
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	degraded *prometheus.CounterVec
	inFlight prometheus.Gauge

	mu     sync.RWMutex
	routes map[string][]shedRoute // by device: its scene routes, as Router.Get mounted them
}

// shedRoute is a scene route as a request refused before routing is
// matched against it: the pattern's text before its parameter (all of it
// when it has none), and the series such a request of it counts in.
type shedRoute struct {
	prefix        string
	param         bool
	device, scene string
	shed          prometheus.Counter // 503
	gone          prometheus.Counter // 499
}

// NewMetrics creates the scene series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bff_http_requests_total",
			Help: "Scene requests by device, scene and HTTP status.",
		}, []string{"device", "scene", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bff_http_request_duration_seconds",
			Help: "Scene request latency, from parsing to the last byte handed to the server.",
			// Fine where screens are served, and an edge at the default
			// call timeout (0.5 s) and scene deadline (0.8 s), so that a
			// screen a timeout ended is told apart from a slow one.
			Buckets: []float64{.005, .01, .02, .03, .04, .05, .075, .1, .15, .2, .25, .3, .4, .5, .6, .8, 1.2, 1.6},
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

// route notes that pattern, under /{device}, serves sceneName.
func (m *Metrics) route(device, pattern, sceneName string) {
	if m == nil {
		return
	}
	prefix, _, param := strings.Cut(pattern, "{")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.routes == nil {
		m.routes = map[string][]shedRoute{}
	}
	m.routes[device] = append(m.routes[device], shedRoute{prefix, param, device, sceneName,
		m.requests.WithLabelValues(device, sceneName, "503"), m.requests.WithLabelValues(device, sceneName, "499")})
}

// Refused counts a scene request answered before routing, in
// bff_http_requests_total, which then holds every answer the scene routes
// gave: one admission shed as the 503 of its device and scene
// (bff_shed_total says why), one whose client left while it queued as the
// 499, and one the edge refused (414, 431) as that. It reads the scene off
// the path as the router would, and allocates nothing for a 503 or a 499,
// as shedding must not. A path no scene route serves is not counted here.
func (m *Metrics) Refused(r *http.Request, code int) {
	rt := m.sceneOf(r)
	if rt == nil {
		return
	}
	switch code {
	case http.StatusServiceUnavailable:
		rt.shed.Inc()
	case httpx.StatusClientClosed:
		rt.gone.Inc()
	default:
		m.requests.WithLabelValues(rt.device, rt.scene, strconv.Itoa(code)).Inc()
	}
}

// IsScene reports whether r asks for a scene route, as the router would
// route it: what admission limits. A request the router would answer
// 404 or 405 is not one, so it gets that answer, not a shed 503 telling
// it to retry. Without metrics, every request is taken for one.
func (m *Metrics) IsScene(r *http.Request) bool {
	return m == nil || m.sceneOf(r) != nil
}

// sceneOf is the scene route r asks for, read off the path as the router
// reads it, or nil; it allocates nothing.
func (m *Metrics) sceneOf(r *http.Request) *shedRoute {
	if m == nil || r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil // the router would answer 405
	}
	path := strings.TrimPrefix(httpx.RoutedPath(r), "/")
	device, _, _ := strings.Cut(path, "/")
	rest := path[len(device):] // "/v1/feed"
	m.mu.RLock()
	defer m.mu.RUnlock()
	routes := m.routes[device]
	for i := range routes {
		rt := &routes[i]
		if rt.param && strings.HasPrefix(rest, rt.prefix) && len(rest) > len(rt.prefix) && !strings.Contains(rest[len(rt.prefix):], "/") ||
			!rt.param && rest == rt.prefix {
			return rt
		}
	}
	return nil
}

// begin counts a request in flight until the returned func is called.
func (m *Metrics) begin() func() {
	if m == nil {
		return func() {}
	}
	m.inFlight.Inc()
	return m.inFlight.Dec
}
