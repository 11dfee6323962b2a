package cache

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the cache series, labelled by loader name ("archive").
type Metrics struct {
	requests  *prometheus.CounterVec
	evictions *prometheus.CounterVec
}

// NewMetrics creates the cache series and registers them on reg (nil:
// nowhere).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: counters("bff_cache_requests_total",
			"IDs read through a cache by result: hit (fresh in memory), miss (fetched by the request's own call), shared (fetched by another request's call in flight), stale (past freshness, served because the call failed), error (neither), bypass (a mock scenario request).",
			"cache", "result"),
		evictions: counters("bff_cache_evictions_total",
			"Entries evicted from a cache to stay within its bound (expirations not counted).",
			"cache"),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.evictions)
	}
	return m
}

func counters(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// cacheMetrics are one loader's series, resolved once.
type cacheMetrics struct {
	hit, miss, shared, stale, failed, bypass, evicted prometheus.Counter
}

func (m *Metrics) of(name string) *cacheMetrics {
	if m == nil {
		m = NewMetrics(nil)
	}
	r := func(result string) prometheus.Counter { return m.requests.WithLabelValues(name, result) }
	return &cacheMetrics{
		hit: r("hit"), miss: r("miss"), shared: r("shared"), stale: r("stale"),
		failed: r("error"), bypass: r("bypass"),
		evicted: m.evictions.WithLabelValues(name),
	}
}

func (c *cacheMetrics) add(counter prometheus.Counter, n int) {
	if n > 0 {
		counter.Add(float64(n))
	}
}
