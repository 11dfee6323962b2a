package overload

import (
	"fmt"
	"slices"
	"strconv"

	"mosaic/internal/bench/report"
)

// LoadSummary is one offered load over all of its phases, one a round. The
// rig's capacity drifts by a quarter from one minute to the next, so a
// load run once is compared with a best measured minutes away; run in
// rounds, each load meets the same minutes as the others, and its mean
// over the rounds is what the checks read.
type LoadSummary struct {
	Mult    float64 `json:"load"`
	Phases  int     `json:"phases"`
	Goodput float64 `json:"goodput_rps"` // the mean of its phases'
	Min     float64 `json:"goodput_min_rps"`
	Max     float64 `json:"goodput_max_rps"`
	Ratio   float64 `json:"goodput_ratio_to_best"`
}

// summarizeLoads groups the phases by load, in the order the loads first ran.
func summarizeLoads(phases []Phase) []LoadSummary {
	var out []LoadSummary
	for _, p := range phases {
		i := slices.IndexFunc(out, func(l LoadSummary) bool { return l.Mult == p.Mult })
		if i < 0 {
			out = append(out, LoadSummary{Mult: p.Mult, Min: p.Goodput, Max: p.Goodput})
			i = len(out) - 1
		}
		l := &out[i]
		l.Goodput = (l.Goodput*float64(l.Phases) + p.Goodput) / float64(l.Phases+1)
		l.Phases++
		l.Min, l.Max = min(l.Min, p.Goodput), max(l.Max, p.Goodput)
	}
	return out
}

// stepsBest is the best screens/s of the probe and the ramp: measured goodput,
// unlike a saturation given on the command line, which is only a rate.
func stepsBest(steps ...[]ProbeStep) float64 {
	var best float64
	for _, s := range steps {
		for _, st := range s {
			best = max(best, st.Goodput)
		}
	}
	return best
}

// repeated says whether some load ran more than once.
func (rep *Report) repeated() bool {
	return slices.ContainsFunc(rep.Loads, func(l LoadSummary) bool { return l.Phases > 1 })
}

// phaseLabel names a phase in the tables and the log: its load, its round
// when loads repeat (or before they are summed up), and "again" for one run
// in place of a phase set aside.
func (rep *Report) phaseLabel(p Phase) string {
	label := mult(p.Mult)
	if p.Round > 0 && (rep.repeated() || len(rep.Loads) == 0) {
		label += " r" + strconv.Itoa(p.Round)
	}
	if p.Again {
		label += " again"
	}
	return label
}

// loadsTable sums up each load over its rounds; nil when none repeated.
func (rep *Report) loadsTable() *report.Table {
	if !rep.repeated() {
		return nil
	}
	t := &report.Table{
		Title: "Each load over its rounds",
		Note: fmt.Sprintf("screens/s (200s listing no degraded section): the mean of the load's phases, one a round, run in turn with the other loads; of best: that mean over the best goodput, the highest of these means (%.0f req/s, %s), the figure the checks read; "+
			"of saturation: over the probe's best step (%.0f req/s), the highest of many draws and minutes away, shown, not checked", rep.Best, mult(rep.BestLoad), rep.Saturation),
		Headers: []string{"load", "phases", "screens/s", "of best", "of saturation", "min screens/s", "max screens/s"},
		Labels:  1,
	}
	for _, l := range rep.Loads {
		t.Rows = append(t.Rows, []string{mult(l.Mult), strconv.Itoa(l.Phases), report.Num(l.Goodput), fmt.Sprintf("%.0f%%", 100*l.Ratio),
			fmt.Sprintf("%.0f%%", 100*report.Ratio(l.Goodput, rep.Saturation)), report.Num(l.Min), report.Num(l.Max)})
	}
	return t
}
