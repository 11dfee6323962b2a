package overload

import (
	"context"
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

// rerunNote lists the phases run again, for the rig's check.
func (rep *Report) rerunNote() string {
	if len(rep.Rerun) == 0 {
		return ""
	}
	var late []string
	for _, p := range rep.Rerun {
		late = append(late, fmt.Sprintf("%s: %.0f ms", rep.phaseLabel(p), p.Summary.LagP99ms))
	}
	return "; run again after the generator fell behind: " + strings.Join(late, ", ")
}

// rerunTable shows the phases run again, so that what was set aside stays
// in the report; nil when none was.
func (rep *Report) rerunTable() *report.Table {
	if len(rep.Rerun) == 0 {
		return nil
	}
	t := &report.Table{
		Title: "Phases run again: the generator fell behind",
		Note: fmt.Sprintf("a phase whose generator's send lag p99 passed %d ms measured the rig, not the BFF, and ran once more after the settle; "+
			"these figures are not in the loads' means nor in the p99 check, their breaker activity is in its check", maxLagP99ms),
		Headers: []string{"load", "offered/s", "sent", "200/s", "p50 ms", "p99 ms", "503 shed", "other", "gen lag p99 ms", "bff conns opened", "bff %", "generator %"},
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
// in which the rig failed goes to rep.Rerun and runs once more, while
// fewer than rounds have; the second run is kept whatever it shows.
func runLoads(ctx context.Context, rep *Report, loads []float64, rounds int, phase func(mult float64) (Phase, error), log io.Writer) error {
	for i := range rounds * len(loads) {
		m, round := loads[i%len(loads)], 1+i/len(loads)
		ph, err := phase(m)
		if err == nil && ph.Summary.rigFailed() && len(rep.Rerun) < rounds {
			ph.Round = round
			rep.Rerun = append(rep.Rerun, ph)
			fmt.Fprintf(log, "  r%d %4gx: the generator fell behind (send lag p99 %.0fms, %d not answered in time); running it again\n",
				round, m, ph.Summary.LagP99ms, ph.Summary.Other)
			ph, err = phase(m)
		}
		if err != nil {
			return err
		}
		ph.Round = round
		rep.Phases = append(rep.Phases, ph)
		s := ph.Summary
		fmt.Fprintf(log, "  r%d %4gx %6.0f req/s: %6.0f 200/s, p50 %.1fms p99 %.1fms; shed %d, scene 503 %d, 504 %d, other %d; breaker events %d; connections opened %d\n",
			round, m, s.Rate, ph.Goodput, s.P50ms, s.P99ms, s.Shed, s.Scene503, s.GW504, s.Other, ph.Server.breakerEvents(), ph.Server.Connections)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}
