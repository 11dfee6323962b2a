package overload

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// fakePhases answers each load with a phase, late for the calls listed.
type fakePhases struct {
	calls []float64
	late  map[int]bool // by call, from 0
}

func (f *fakePhases) phase(m float64) (Phase, error) {
	p := Phase{Mult: m, Goodput: 900, Summary: AttackSummary{Rate: 1000 * m, OK: 9000, LagP99ms: 2}}
	if f.late[len(f.calls)] {
		p.Summary.LagP99ms, p.Goodput = 1200, 500
	}
	f.calls = append(f.calls, m)
	return p, nil
}

func labels(phases []Phase) []string {
	var out []string
	for _, p := range phases {
		again := ""
		if p.Again {
			again = " again"
		}
		out = append(out, fmt.Sprintf("%v×r%d%s lag %.0f", p.Mult, p.Round, again, p.Summary.LagP99ms))
	}
	return out
}

// A phase whose generator fell behind is set aside and run once more after
// the last round; no more than rounds are set aside, and a phase run again
// is kept even if late again.
func TestRunLoadsRunsALatePhaseAgainAfterTheLastRound(t *testing.T) {
	f := &fakePhases{late: map[int]bool{1: true, 3: true}}
	rep := &Report{}
	if err := runLoads(context.Background(), rep, []float64{1, 3}, 2, f.phase, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, 3, 1, 3, 3, 3}; !slices.Equal(f.calls, want) {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
	if got, want := labels(rep.Phases), []string{"1×r1 lag 2", "1×r2 lag 2", "3×r1 again lag 2", "3×r2 again lag 2"}; !slices.Equal(got, want) {
		t.Errorf("phases %q, want %q", got, want)
	}
	if got, want := labels(rep.Rerun), []string{"3×r1 lag 1200", "3×r2 lag 1200"}; !slices.Equal(got, want) {
		t.Errorf("set aside %q, want %q", got, want)
	}

	// One round: 1× is set aside; 3×, late too, is kept, as is 1× again.
	f = &fakePhases{late: map[int]bool{0: true, 1: true, 2: true}}
	rep = &Report{}
	if err := runLoads(context.Background(), rep, []float64{1, 3}, 1, f.phase, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, want := labels(rep.Phases), []string{"3×r1 lag 1200", "1×r1 again lag 1200"}; len(f.calls) != 3 || !slices.Equal(got, want) || len(rep.Rerun) != 1 {
		t.Errorf("one round, every run late: %d calls, kept %q (want %q), %d set aside", len(f.calls), got, want, len(rep.Rerun))
	}

	// A late phase in which the BFF failed requests itself is kept: the
	// BFF may be why the generator fell behind.
	for _, failed := range []func(*AttackSummary){func(s *AttackSummary) { s.GW504 = 1 }, func(s *AttackSummary) { s.Scene503 = 1 }} {
		rep = &Report{}
		calls := 0
		phase := func(m float64) (Phase, error) {
			calls++
			p := Phase{Mult: m, Summary: AttackSummary{LagP99ms: 900}}
			failed(&p.Summary)
			return p, nil
		}
		if err := runLoads(context.Background(), rep, []float64{3}, 2, phase, io.Discard); err != nil {
			t.Fatal(err)
		}
		if calls != 2 || len(rep.Phases) != 2 || len(rep.Rerun) != 0 {
			t.Errorf("late with the BFF failing requests: %d calls, %d kept, %d set aside; want each kept", calls, len(rep.Phases), len(rep.Rerun))
		}
	}
}

// What was set aside stays in the report: its own table, the rig check's
// detail, and its breaker activity in the breaker check. The checks read
// the phases kept.
func TestOverloadReportShowsPhasesRunAgain(t *testing.T) {
	rep := sampleReport()
	for i := range rep.Phases {
		rep.Phases[i].Summary.LagP99ms = 3
		rep.Phases[i].Server.Refused = 0
	}
	late := rep.Phases[3]
	late.Round, late.Summary.LagP99ms, late.Summary.P99ms, late.Goodput = 0, 1186, 2400, 509
	late.Server.Refused = 4
	rep.Rerun = []Phase{late}
	rep.finish()
	byName := map[string]Check{}
	for _, c := range rep.Checks {
		byName[c.Name] = c
	}
	lag := byName["rig: the generator kept to its schedule (send lag p99 <= 50 ms)"]
	if !lag.Pass || !strings.Contains(lag.Detail, "set aside, the generator behind, and run again after the last round: 3×: 1186 ms") {
		t.Errorf("lag check %v: %s", lag.Pass, lag.Detail)
	}
	if c := byName["no breaker opens or throttled calls (every downstream healthy)"]; c.Pass {
		t.Errorf("the breaker check passed with 4 calls refused in a phase run again: %s", c.Detail)
	}
	if c := byName["p99 of the 200s <= the scene deadline at every load"]; !strings.Contains(c.Detail, "worst 900 ms") {
		t.Errorf("the p99 check read the phase set aside: %s", c.Detail)
	}
	var b strings.Builder
	rep.writeMarkdown(&b)
	for _, want := range []string{"### Phases set aside: the generator fell behind", "| 3× | 3000 | 30000 | 509 | 30.0 | 2400 | 20000 | 130 | 1186 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, b.String())
		}
	}
}
