package overload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"mosaic/internal/bench/report"
)

// late says whether the generator fell behind its schedule in a phase:
// past maxLagP99ms the load was not the open loop asked for. On this rig
// it happens in about one 3× phase in ten, clustered in the machine's slow
// minutes, with the BFF at times idle: the generator, which shares its
// core with the mocks, runs out of CPU and opens a connection for nearly
// every request (BENCHMARKS.md, the eighth session).
func (s AttackSummary) late() bool { return s.LagP99ms > maxLagP99ms }

// rigFailed says whether a phase measured the rig rather than the BFF: the
// generator fell behind, and the BFF failed no request itself. A BFF that
// was the bottleneck answers 504 past its deadline or 503 naming a failed
// section (its own collapses at 3× did, with the generator late too), and
// such a phase is kept.
func (s AttackSummary) rigFailed() bool { return s.late() && s.GW504 == 0 && s.Scene503 == 0 }

// rerunNote lists the phases set aside, for the rig's check.
func (rep *Report) rerunNote() string {
	if len(rep.Rerun) == 0 {
		return ""
	}
	var late []string
	for _, p := range rep.Rerun {
		late = append(late, fmt.Sprintf("%s: %.0f ms", rep.phaseLabel(p), p.Summary.LagP99ms))
	}
	return "; set aside, the generator behind, and run again after the last round: " + strings.Join(late, ", ")
}

// rerunTable shows the phases run again, so that what was set aside stays
// in the report; nil when none was.
func (rep *Report) rerunTable() *report.Table {
	if len(rep.Rerun) == 0 {
		return nil
	}
	t := &report.Table{
		Title: "Phases set aside: the generator fell behind",
		Note: fmt.Sprintf("a phase whose generator's send lag p99 passed %d ms, while the BFF failed nothing itself (no 504, no 503 naming a section), measured the rig, not the BFF: "+
			"it was set aside and ran once more after the last round (the rows marked again above and below); its figures are not in the loads' means nor in the p99 check, its breaker activity is in its check", maxLagP99ms),
		Headers: []string{"load", "offered/s", "sent", "screens/s", "p50 ms", "p99 ms", "503 shed", "other", "gen lag p99 ms", "bff conns opened", "bff %", "generator %"},
		Labels:  1,
	}
	for _, p := range rep.Rerun {
		s := p.Summary
		t.Rows = append(t.Rows, []string{rep.phaseLabel(p), report.Num(s.Rate), strconv.Itoa(s.Sent), report.Num(p.Goodput), report.Num(s.P50ms), report.Num(s.P99ms),
			strconv.Itoa(s.Shed), strconv.Itoa(s.Other), report.Num(s.LagP99ms), strconv.Itoa(p.Server.Connections), pct(p.CPU.Procs, "bff"), pct(p.CPU.Procs, "generator")})
	}
	return t
}

// runLoads runs every load in turn, rounds times, into rep.Phases. A phase
// in which the rig failed is set aside into rep.Rerun, at most rounds of
// them, and runs once more after the last round, the run kept whatever it
// shows: the machine's slow minutes come in runs, and a phase run again at
// once met the same minute (the ninth session's runs).
func runLoads(ctx context.Context, rep *Report, loads []float64, rounds int, phase func(mult float64) (Phase, error), log io.Writer) error {
	run := func(m float64, round int, again bool) (Phase, error) {
		ph, err := phase(m)
		ph.Round, ph.Again = round, again
		if err == nil {
			s := ph.Summary
			fmt.Fprintf(log, "  %s %6.0f req/s: %6.0f screens/s, p50 %.1fms p99 %.1fms, send lag p99 %.0fms; shed %d, scene 503 %d, 504 %d, other %d; breaker events %d; connections opened %d\n",
				rep.phaseLabel(ph), s.Rate, ph.Goodput, s.P50ms, s.P99ms, s.LagP99ms, s.Shed, s.Scene503, s.GW504, s.Other, ph.Server.breakerEvents(), ph.Server.Connections)
		}
		return ph, errors.Join(err, ctx.Err())
	}
	for i := range rounds * len(loads) {
		ph, err := run(loads[i%len(loads)], 1+i/len(loads), false)
		if err != nil {
			return err
		}
		if ph.Summary.rigFailed() && len(rep.Rerun) < rounds {
			rep.Rerun = append(rep.Rerun, ph)
			fmt.Fprintf(log, "  %s: the generator fell behind, the BFF failed nothing: set aside, to run again after the last round\n", rep.phaseLabel(ph))
			continue
		}
		rep.Phases = append(rep.Phases, ph)
	}
	for _, aside := range rep.Rerun {
		ph, err := run(aside.Mult, aside.Round, true)
		if err != nil {
			return err
		}
		rep.Phases = append(rep.Phases, ph)
	}
	return nil
}
