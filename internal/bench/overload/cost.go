package overload

import "fmt"

// AnswerCost is what the BFF's CPU spends per answer, solved by least
// squares over the phases from each phase's CPU time, 200s and shed 503s:
// cpu = ok × Served + shed × Shed. It says how much goodput an overloaded
// BFF can keep at all: every shed answer takes CPU from the served ones.
type AnswerCost struct {
	ServedMicros float64 `json:"served_us"`
	ShedMicros   float64 `json:"shed_us"`
}

// answerCost solves for the costs; ok is false when the phases cannot
// tell the two apart (no sheds, or every phase the same mix).
func answerCost(phases []Phase) (c AnswerCost, ok bool) {
	var oo, os, ss, oc, sc float64
	for _, p := range phases {
		o, s, cpu := float64(p.Summary.OK), float64(p.Summary.Shed), p.BFFCPUSeconds
		oo, os, ss, oc, sc = oo+o*o, os+o*s, ss+s*s, oc+o*cpu, sc+s*cpu
	}
	det := oo*ss - os*os
	if ss == 0 || det <= 1e-9*oo*ss {
		return c, false
	}
	c.ServedMicros = 1e6 * (oc*ss - sc*os) / det
	c.ShedMicros = 1e6 * (oo*sc - os*oc) / det
	return c, c.ServedMicros > 0 && c.ShedMicros > 0
}

// Bound is the share of its best goodput a BFF whose CPU is the
// bottleneck keeps when offered m times it, shedding the rest: with x the
// shed's cost over the served answer's, g·c + (m·best − g)·s = best·c
// gives g/best = (1 − m·x)/(1 − x).
func (c AnswerCost) Bound(m float64) float64 {
	x := c.ShedMicros / c.ServedMicros
	if x >= 1 {
		return 0
	}
	return max(0, (1-m*x)/(1-x))
}

// line is the report's sentence on the costs.
func (c AnswerCost) line(phases []Phase) string {
	s := fmt.Sprintf("what answers cost the BFF's CPU (least squares over the phases): a 200 about %.0f µs, a shed 503 about %.0f µs (%.1f%%); "+
		"a BFF whose CPU is spent keeps at most (1 − m·s/c)/(1 − s/c) of its best goodput at m×:", c.ServedMicros, c.ShedMicros, 100*c.ShedMicros/c.ServedMicros)
	for _, p := range phases {
		if p.Mult > 1 {
			s += fmt.Sprintf(" %s %.0f%%", mult(p.Mult), 100*c.Bound(p.Mult))
		}
	}
	return s
}
