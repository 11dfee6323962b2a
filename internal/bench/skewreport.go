package bench

import (
	"fmt"
	"strconv"
	"time"

	"mosaic/internal/bench/report"
)

// skewTables are the skewed pass's tables: speed, work per screen, cache
// reads, and mosaic's variants against the floor.
func (r *Report) skewTables() []report.Table {
	s := r.Skewed
	if s == nil {
		return nil
	}
	cfg := r.cfg
	speed := report.Table{
		Title: fmt.Sprintf("Skewed pass: %d archives, %d accounts, Zipf %.1f feed, %s per downstream call, web, ps=%d", s.World.Archives, s.World.Accounts, s.World.Zipf, s.Latency, r.LoadPS),
		Note: fmt.Sprintf("each request for a viewer drawn uniformly from %d, each video drawn from the mock feed's own answers, each user the uploader of one; "+
			"saturation: %d closed-loop workers, the median of %d rounds of %v; CPU ms/screen: the server process's own CPU time (its /metrics) over its saturation rounds, per request; rig: the bench process's (the mocks and the load generator) over the same rounds; busy: the share of the machine's CPU time in use over them, by anyone; latency: open loop at %.2g of the floor's saturation (of the implementation's own when lower), %d chunks of %v, "+
			"measured from each request's scheduled send time; rounds and chunks interleaved across the implementations", s.Viewers, r.Concurrency, s.Rounds, cfg.Duration, r.Fraction, s.Rounds, cfg.OpenDur/time.Duration(max(s.Rounds, 1))),
		Headers: []string{"scene", "impl", "sat req/s", "CPU ms/screen", "rig CPU ms/screen", "busy %", "load req/s", "requests", "p50 ms", "p99 ms", "p99.9 ms"},
	}
	work := report.Table{
		Title: "Skewed pass: downstream work, caches and memory per screen",
		Note: "counted at the mocks over every measured request; shared IDs: those asked of archive, stat and account, whose answers are the same for every viewer; " +
			"hit: the share of IDs read through mosaic's caches that were fresh in memory, +shared: or fetched by another request's call in flight; RSS: the largest during the scene",
		Headers: []string{"scene", "impl", "calls/screen", "shared IDs/screen", "other IDs/screen", "hit %", "hit+shared %", "max RSS MB"},
	}
	for _, scene := range cfg.Scenes {
		for _, x := range s.measured(scene) {
			speed.Rows = append(speed.Rows, []string{scene, x.Impl, report.Num(x.SatRPS), report.Num(x.CPUmsPerScreen()), report.Num(x.RigCPUmsPerScreen()), percent(x.BusyShare()), report.Num(x.OpenRPS), strconv.Itoa(x.OpenRequests),
				report.Num(x.P50ms), report.Num(x.P99ms), report.Num(x.P999ms)})
			calls, shared, other := x.PerScreen()
			work.Rows = append(work.Rows, []string{scene, x.Impl, report.Num(calls), report.Num(shared), report.Num(other),
				percent(x.Cache.rate("", CacheHit)), percent(x.Cache.servedFromMemory("")), report.Num(x.MaxRSSMB)})
		}
	}
	return []report.Table{speed, work, r.cacheTable(), r.skewRatioTable()}
}

// cacheTable is every cache's reads by result, per scene and variant.
func (r *Report) cacheTable() report.Table {
	t := report.Table{
		Title:   "Skewed pass: mosaic's cache reads by result",
		Note:    "IDs read through each cache per screen, and the share of each result (" + metricCacheRequests + "); evictions: entries evicted to stay within the bound, per screen",
		Headers: []string{"scene", "impl", "cache", "reads/screen"},
		Labels:  3,
	}
	for _, res := range CacheResults() {
		t.Headers = append(t.Headers, res+" %")
	}
	t.Headers = append(t.Headers, "evictions/screen")
	for _, scene := range r.cfg.Scenes {
		for _, x := range r.Skewed.measured(scene) {
			for _, name := range x.Cache.Caches() {
				total, _ := x.Cache.Reads(name, "")
				n := float64(max(x.Screens, 1))
				row := []string{scene, x.Impl, name, report.Num(total / n)}
				for _, res := range CacheResults() {
					row = append(row, percent(x.Cache.rate(name, res)))
				}
				t.Rows = append(t.Rows, append(row, report.Num(x.Cache.Evictions[name]/n)))
			}
		}
	}
	return t
}

// skewRatioTable compares each of mosaic's variants with the floor.
func (r *Report) skewRatioTable() report.Table {
	t := report.Table{
		Title: "Skewed pass: mosaic / floor",
		Note: fmt.Sprintf("throughput: the median over the rounds of the variant's req/s over the floor's in the same round, higher is better (target for %s on the feed >= %v); "+
			"p50, p99 and shared IDs per screen: lower is better (targets <= %v and <= %v)", Mosaic, boundOf(skewThroughput), boundOf(skewLatency), boundOf(skewIDs)),
		Headers: []string{"scene", "impl", "throughput", "p50", "p99", "shared IDs/screen"},
	}
	for _, scene := range r.cfg.Scenes {
		f := r.Skewed.find(Floor, scene)
		if f == nil {
			continue
		}
		_, fs, _ := f.PerScreen()
		for _, v := range r.Skewed.Variants {
			if m := r.Skewed.find(v.Name, scene); m != nil {
				_, ms, _ := m.PerScreen()
				t.Rows = append(t.Rows, []string{scene, v.Name, report.Num(pairedRatio(m.RoundRPS, f.RoundRPS)),
					report.Num(report.Ratio(m.P50ms, f.P50ms)), report.Num(report.Ratio(m.P99ms, f.P99ms)), report.Num(report.Ratio(ms, fs))})
			}
		}
	}
	return t
}

// percent prints a share as a percentage, "-" when there is none.
func percent(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return report.Num(100 * v)
}

// servedFromMemory is the share of name's reads that needed no call of
// the request's own: fresh in memory, or another request's call in flight.
func (c CacheCounts) servedFromMemory(name string) (float64, bool) {
	hit, ok := c.rate(name, CacheHit)
	shared, _ := c.rate(name, CacheShared)
	return hit + shared, ok
}

// measured are the results of the skewed pass on scene, in Impls order.
func (s *SkewReport) measured(scene string) []*SkewResult {
	var out []*SkewResult
	for _, impl := range s.Impls {
		if x := s.find(impl, scene); x != nil {
			out = append(out, x)
		}
	}
	return out
}

// skewCharts are the skewed pass's chart: throughput above, p50 and p99
// below, a cluster per implementation in each scene.
func skewCharts(r *Report) (title string, charts []chart) {
	s := r.Skewed
	title = fmt.Sprintf("Skewed pass: Zipf %.1f feed over %d archives, %d viewers, %s per downstream call (web, ps=%d)", s.World.Zipf, s.World.Archives, s.Viewers, s.Latency, r.LoadPS)
	sat := chart{title: "saturation throughput", groups: r.cfg.Scenes, series: s.Impls, measures: []string{"req/s"}, linear: true, yLabel: "requests per second", colors: skewColors(s)}
	lat := chart{title: fmt.Sprintf("latency at %.2g of the floor's saturation", r.Fraction), groups: r.cfg.Scenes, series: s.Impls,
		measures: []string{"p50", "p99"}, colors: skewColors(s)}
	for _, scene := range r.cfg.Scenes {
		for _, x := range s.measured(scene) {
			sat.values = append(sat.values, chartValue{group: scene, series: x.Impl, v: []float64{x.SatRPS}})
			lat.values = append(lat.values, chartValue{group: scene, series: x.Impl, v: []float64{x.P50ms, x.P99ms}})
		}
	}
	return title, []chart{sat, lat}
}

// skewColors keep the latency chart's colours for mosaic, floor and
// naive; the other variants get shades of mosaic's blue.
func skewColors(s *SkewReport) []string {
	byName := map[string]string{Mosaic: seriesColors()[0], Floor: seriesColors()[1], Naive: seriesColors()[2]}
	variants := []string{"#6baed6", "#08519c", "#9ecae1", "#17becf"}
	var out []string
	n := 0
	for _, impl := range s.Impls {
		c, ok := byName[impl]
		if !ok {
			c = variants[n%len(variants)]
			n++
		}
		out = append(out, c)
	}
	return out
}
