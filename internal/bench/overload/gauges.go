package overload

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"mosaic/internal/bench/child"
	"mosaic/internal/bench/host"
)

// metricLimit is the admission limit in force (bff/admission/metrics.go).
const metricLimit = "bff_admission_limit"

// gaugeEvery is how often a phase samples the BFF's gauges: often enough
// to see the limit move within a 10 s phase, rarely enough that the
// scrapes cost the BFF under test about 1% of its CPU.
const gaugeEvery = 500 * time.Millisecond

// GaugeStats summarises a gauge sampled through a phase.
type GaugeStats struct {
	Samples int     `json:"samples"`
	Min     float64 `json:"min"`
	Median  float64 `json:"median"`
	Max     float64 `json:"max"`
}

func gaugeStats(v []float64) GaugeStats {
	if len(v) == 0 {
		return GaugeStats{}
	}
	s := slices.Sorted(slices.Values(v))
	return GaugeStats{Samples: len(s), Min: s[0], Median: s[len(s)/2], Max: s[len(s)-1]}
}

// String is min/median/max, or "-" when nothing was sampled.
func (g GaugeStats) String() string {
	if g.Samples == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f/%.0f/%.0f", g.Min, g.Median, g.Max)
}

// sampleGauges scrapes the BFF's admission limit and requests in flight
// every interval until the returned stop is called. The scrapes before and
// after a phase say what it changed; these say how the limit moved while
// it ran, which is where a limiter that collapses or never binds shows.
func (r *rig) sampleGauges(ctx context.Context, every time.Duration) (stop func() (limit, inFlight GaugeStats)) {
	ctx, cancel := context.WithCancel(ctx)
	var (
		wg             sync.WaitGroup
		limits, flight []float64
	)
	wg.Go(func() {
		host.Every(ctx, every, func() {
			s, err := child.Scrape(ctx, r.client, r.bff, parseSeries)
			if err != nil {
				return // a missed sample; the phase's own scrapes decide
			}
			if g, ok := s[metricLimit]; ok {
				limits = append(limits, g.value)
			}
			if g, ok := s[metricInFlight]; ok {
				flight = append(flight, g.value)
			}
		})
	})
	return func() (GaugeStats, GaugeStats) {
		cancel()
		wg.Wait()
		return gaugeStats(limits), gaugeStats(flight)
	}
}
