package bench

import (
	"fmt"
	"strings"

	"mosaic/internal/bench/report"
)

// skewAgainstFloor is mosaic's (the variant named mosaic: caches on) and
// the floor's results on a scene of the skewed pass, and whether both
// were measured.
func skewAgainstFloor(r *Report, scene string) (m, f *SkewResult, ok bool) {
	m, f = r.Skewed.find(Mosaic, scene), r.Skewed.find(Floor, scene)
	return m, f, m != nil && f != nil && len(m.RoundRPS) > 0 && len(f.RoundRPS) > 0
}

func checkSkewLatency(g goal, r *Report) Target {
	name := fmt.Sprintf("skewed %s p50 and p99 <= %v x floor's, open loop", g.scene, g.bound)
	m, f, ok := skewAgainstFloor(r, g.scene)
	if !ok || m.OpenRequests == 0 || f.OpenRequests == 0 {
		return g.skip(name, "needs the skewed pass with mosaic and floor")
	}
	pass := m.P50ms <= g.bound*f.P50ms && m.P99ms <= g.bound*f.P99ms
	detail := fmt.Sprintf("p50 %sms vs %sms, p99 %sms vs %sms", report.Num(m.P50ms), report.Num(f.P50ms), report.Num(m.P99ms), report.Num(f.P99ms))
	if near(m.OpenRPS, f.OpenRPS) {
		detail += fmt.Sprintf(", both at %s req/s", report.Num(m.OpenRPS))
	} else {
		detail += fmt.Sprintf(", mosaic at %s req/s (its own saturation is lower), floor at %s", report.Num(m.OpenRPS), report.Num(f.OpenRPS))
	}
	return g.target(name, pass, detail)
}

func checkSkewIDs(g goal, r *Report) Target {
	name := fmt.Sprintf("skewed %s IDs asked of archive, stat and account per screen <= %v x floor's", g.scene, g.bound)
	m, f, ok := skewAgainstFloor(r, g.scene)
	if !ok {
		return g.skip(name, "needs the skewed pass with mosaic and floor")
	}
	_, ms, _ := m.PerScreen()
	_, fs, _ := f.PerScreen()
	ratio := report.Ratio(ms, fs)
	return g.target(name, ratio <= g.bound, fmt.Sprintf("%s x (mosaic %s, floor %s per screen)", report.Num(ratio), report.Num(ms), report.Num(fs)))
}

// checkSkewReported: every implementation's calls and IDs per screen and
// RSS on every scene, and the hit rates of mosaic with its caches.
func checkSkewReported(g goal, r *Report) Target {
	name := "skewed pass reports calls and IDs per screen, hit rates and RSS for every scene"
	s := r.Skewed
	if s == nil {
		return g.skip(name, "no skewed pass")
	}
	var missing []string
	for _, scene := range r.cfg.Scenes {
		for _, impl := range s.Impls {
			missing = append(missing, skewGaps(s.find(impl, scene), impl, scene)...)
		}
	}
	if len(missing) == 0 {
		return g.target(name, true, fmt.Sprintf("%d scenes x %d implementations", len(r.cfg.Scenes), len(s.Impls)))
	}
	if len(missing) > 6 {
		missing = append(missing[:6], fmt.Sprintf("and %d more", len(missing)-6))
	}
	return g.target(name, false, "missing: "+strings.Join(missing, "; "))
}

// skewGaps are what x lacks of what the skewed pass reports.
func skewGaps(x *SkewResult, impl, scene string) []string {
	what := impl + " " + scene
	if x == nil || x.Screens == 0 {
		return []string{what + " not measured"}
	}
	var out []string
	if calls, _, _ := x.PerScreen(); calls == 0 {
		out = append(out, what+" downstream calls")
	}
	if x.MaxRSSMB <= 0 {
		out = append(out, what+" RSS")
	}
	if _, ok := x.HitRate(""); impl == Mosaic && !ok {
		out = append(out, what+" hit rates (no "+metricCacheRequests+" in its /metrics)")
	}
	return out
}
