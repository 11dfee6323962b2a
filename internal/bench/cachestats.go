package bench

import (
	"io"
	"maps"
	"slices"

	dto "github.com/prometheus/client_model/go"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The series of mosaic's entity caches (clients/cache): IDs read through
// each cache by result, and entries evicted to stay within its bound.
const (
	metricCacheRequests  = "bff_cache_requests_total"
	metricCacheEvictions = "bff_cache_evictions_total"
)

// The results of a cache read, as bff_cache_requests_total labels them:
// in memory and fresh; fetched by the request's own call; fetched by
// another request's call in flight; past freshness but served because the
// call failed; neither; not read at all (a mock scenario request).
const (
	CacheHit    = "hit"
	CacheMiss   = "miss"
	CacheShared = "shared"
	CacheStale  = "stale"
	CacheError  = "error"
	CacheBypass = "bypass"
)

// CacheResults are the results in the order the report lists them.
func CacheResults() []string {
	return []string{CacheHit, CacheShared, CacheMiss, CacheStale, CacheError, CacheBypass}
}

// CacheCounts are a server's cache counters: IDs by cache and result,
// evictions by cache. A server with no caches has none, which is no error.
type CacheCounts struct {
	Requests  map[string]map[string]float64 `json:"requests,omitempty"`
	Evictions map[string]float64            `json:"evictions,omitempty"`
}

// parseCacheCounts reads the two series from Prometheus text exposition.
func parseCacheCounts(r io.Reader) (CacheCounts, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return CacheCounts{}, err
	}
	c := CacheCounts{Requests: map[string]map[string]float64{}, Evictions: map[string]float64{}}
	for _, m := range fams[metricCacheRequests].GetMetric() {
		name, result := label(m.GetLabel(), "cache"), label(m.GetLabel(), "result")
		if c.Requests[name] == nil {
			c.Requests[name] = map[string]float64{}
		}
		c.Requests[name][result] += m.GetCounter().GetValue()
	}
	for _, m := range fams[metricCacheEvictions].GetMetric() {
		c.Evictions[label(m.GetLabel(), "cache")] += m.GetCounter().GetValue()
	}
	return c, nil
}

// label is the value of the label name, "" if there is none.
func label(ls []*dto.LabelPair, name string) string {
	for _, l := range ls {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// add adds after-before to c: what one phase read.
func (c *CacheCounts) add(after, before CacheCounts) {
	if c.Requests == nil {
		c.Requests, c.Evictions = map[string]map[string]float64{}, map[string]float64{}
	}
	for name, results := range after.Requests {
		if c.Requests[name] == nil {
			c.Requests[name] = map[string]float64{}
		}
		for result, v := range results {
			c.Requests[name][result] += v - before.Requests[name][result]
		}
	}
	for name, v := range after.Evictions {
		c.Evictions[name] += v - before.Evictions[name]
	}
}

// Reads is how many IDs went through cache name ("" for all caches),
// bypasses included, and how many of them had result.
func (c CacheCounts) Reads(name, result string) (total, n float64) {
	for cache, results := range c.Requests {
		if name != "" && cache != name {
			continue
		}
		for r, v := range results {
			total += v
			if r == result {
				n += v
			}
		}
	}
	return total, n
}

// Caches are the caches that were read, sorted.
func (c CacheCounts) Caches() []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(c.Requests)) {
		if total, _ := c.Reads(name, ""); total > 0 {
			out = append(out, name)
		}
	}
	return out
}
