package overload

import (
	"math"
	"testing"
)

func phaseOf(ok, shed int, cpu float64) Phase {
	return Phase{Summary: AttackSummary{OK: ok, Shed: shed}, BFFCPUSeconds: cpu}
}

func TestAnswerCostSolvesServedAndShedCosts(t *testing.T) {
	const served, shed = 500e-6, 50e-6 // seconds of CPU per answer
	phases := []Phase{
		phaseOf(1000, 0, 1000*served),
		phaseOf(900, 1100, 900*served+1100*shed),
		phaseOf(800, 2200, 800*served+2200*shed),
	}
	c, ok := answerCost(phases)
	if !ok || math.Abs(c.ServedMicros-500) > 1e-6 || math.Abs(c.ShedMicros-50) > 1e-6 {
		t.Fatalf("answerCost = %+v, %v; want 500 µs served, 50 µs shed", c, ok)
	}
	// x = 0.1: at 3× the BFF sheds twice what it serves.
	for m, want := range map[float64]float64{1: 1, 2: 0.8 / 0.9, 3: 0.7 / 0.9, 11: 0} {
		if got := c.Bound(m); math.Abs(got-want) > 1e-9 {
			t.Errorf("Bound(%g) = %.4f, want %.4f", m, got, want)
		}
	}
}

func TestAnswerCostNeedsSheds(t *testing.T) {
	if c, ok := answerCost([]Phase{phaseOf(1000, 0, 0.5), phaseOf(2000, 0, 1)}); ok {
		t.Fatalf("answerCost without sheds = %+v, want not ok", c)
	}
	// Every phase the same mix: the two costs cannot be told apart.
	if c, ok := answerCost([]Phase{phaseOf(100, 100, 0.1), phaseOf(200, 200, 0.2)}); ok {
		t.Fatalf("answerCost with one mix = %+v, want not ok", c)
	}
}
