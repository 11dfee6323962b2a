package overload

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"mosaic/internal/bench/load"
	"mosaic/internal/bench/report"
)

// outcomeBand is one layer of an overload bar: a kind of answer, per second.
type outcomeBand struct {
	name  string
	color string
	rate  func(AttackSummary) float64
}

func perSecond(n int, s AttackSummary) float64 {
	if s.SendSeconds <= 0 {
		return 0
	}
	return float64(n) / s.SendSeconds
}

// outcomeBands are the layers, bottom up: what the devices got, then each
// way of not getting it.
func outcomeBands() []outcomeBand {
	return []outcomeBand{
		{"whole 200", "#2ca02c", func(s AttackSummary) float64 { return perSecond(s.OK-s.Partial, s) }},
		{"degraded 200", "#98df8a", func(s AttackSummary) float64 { return perSecond(s.Partial, s) }},
		{"503 shed", "#ff7f0e", func(s AttackSummary) float64 { return perSecond(s.Shed, s) }},
		{"503 scene", "#d62728", func(s AttackSummary) float64 { return perSecond(s.Scene503, s) }},
		{"504", "#9467bd", func(s AttackSummary) float64 { return perSecond(s.GW504, s) }},
		{"other", "#7f7f7f", func(s AttackSummary) float64 { return perSecond(s.Other, s) }},
	}
}

// writeOverloadSVG draws one stacked bar per load: the answers per second
// by kind, the offered rate as a black tick, the best goodput and 90% of it
// as dashed lines, and the p50/p99 of the 200s above each bar (red past the
// scene deadline).
func writeOverloadSVG(out io.Writer, rep *Report) error {
	const (
		width, height = 980, 560
		left, right   = 84, 96 // the right margin holds the reference lines' labels
		top, bottom   = 96, 78
	)
	plotW, plotH := float64(width-left-right), float64(height-top-bottom)
	yMax := rep.Best
	for _, p := range rep.Phases {
		yMax = math.Max(yMax, math.Max(p.Summary.Rate, float64(p.Summary.Sent)/math.Max(p.Summary.SendSeconds, 1e-9)))
	}
	step := report.NiceStep(yMax * 1.1 / 5)
	yTop := step * math.Ceil(yMax*1.1/step)
	y := func(v float64) float64 { return float64(top) + plotH*(1-v/yTop) }
	base := float64(top) + plotH

	w := bufio.NewWriter(out)
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%d" y="28" font-size="17" font-weight="bold">%s</text>`+"\n", left, report.Esc(fmt.Sprintf("Overload: %s %s, open loop at multiples of saturation (%.0f req/s)", rep.Device, rep.Scene, rep.Saturation)))
	p(`<text x="%d" y="48" font-size="12" fill="#666666">%s</text>`+"\n", left, report.Esc(rep.Pinning))
	lx := float64(left)
	for _, b := range outcomeBands() {
		p(`<rect x="%.1f" y="60" width="14" height="14" fill="%s"/><text x="%.1f" y="72" font-size="13">%s</text>`+"\n", lx, b.color, lx+19, report.Esc(b.name))
		lx += 34 + 8*float64(len(b.name))
	}
	p(`<line x1="%.1f" y1="67" x2="%.1f" y2="67" stroke="#000000" stroke-width="3"/><text x="%.1f" y="72" font-size="13">offered</text>`+"\n", lx, lx+16, lx+21)
	// On the legend's line: with the pinning note it ran off the chart.
	p(`<text x="%.1f" y="72" font-size="12" fill="#666666">%s</text>`+"\n", lx+90, report.Esc("p50/p99 of the 200s above each bar, red past the "+rep.Deadline+" deadline"))

	for v := 0.0; v <= yTop*1.0001; v += step {
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`, left, y(v), width-right, y(v))
		p(`<text x="%d" y="%.1f" font-size="12" text-anchor="end">%s</text>`+"\n", left-8, y(v)+4, report.Esc(report.Num(v)))
	}
	p(`<text transform="translate(22 %.1f) rotate(-90)" font-size="13" text-anchor="middle">answers per second</text>`+"\n", float64(top)+plotH/2)
	p(`<line x1="%d" y1="%d" x2="%d" y2="%.1f" stroke="#333333"/>`, left, top, left, base)
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`+"\n", left, base, width-right, base)
	// The best's label goes above its line, the floor's below, as the two
	// lines are close.
	for _, ref := range []struct {
		v, dy float64
		label string
	}{{rep.Best, -1, fmt.Sprintf("best %.0f/s", rep.Best)}, {goodputFloor * rep.Best, 10, fmt.Sprintf("%.0f%% of best", 100*goodputFloor)}} {
		if ref.v > 0 {
			p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#2ca02c" stroke-dasharray="6 4"/>`, left, y(ref.v), width-right, y(ref.v))
			p(`<text x="%d" y="%.1f" font-size="11" fill="#2ca02c">%s</text>`+"\n", width-right+4, y(ref.v)+ref.dy, report.Esc(ref.label))
		}
	}

	groupW := plotW / float64(max(len(rep.Phases), 1))
	barW := math.Min(groupW*0.45, 120)
	for i, ph := range rep.Phases {
		s := ph.Summary
		cx := float64(left) + groupW*(float64(i)+0.5)
		x0, level := cx-barW/2, 0.0
		for _, b := range outcomeBands() {
			r := b.rate(s)
			if r <= 0 {
				continue
			}
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.0f/s</title></rect>`+"\n",
				x0, y(level+r), barW, y(level)-y(level+r), b.color, report.Esc(mult(ph.Mult)), report.Esc(b.name), r)
			level += r
		}
		p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#000000" stroke-width="3"/>`+"\n", x0-6, y(s.Rate), x0+barW+6, y(s.Rate))
		color := "#333333"
		if s.OK == 0 || s.P99ms > load.Ms(rep.deadline) {
			color = "#d62728"
		}
		labelY := math.Min(y(level), y(s.Rate)) - 8
		p(`<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle" fill="%s">%s</text>`+"\n", cx, labelY, color, report.Esc("p99 "+report.MsUnit(s.P99ms)))
		p(`<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle" fill="#333333">%s</text>`+"\n", cx, labelY-15, report.Esc("p50 "+report.MsUnit(s.P50ms)))
		p(`<text x="%.1f" y="%.1f" font-size="15" font-weight="bold" text-anchor="middle">%s</text>`+"\n", cx, base+20, report.Esc(rep.phaseLabel(ph)))
		under := fmt.Sprintf("%.0f/s offered, %.0f screens/s (%.0f%%)", s.Rate, ph.Goodput, 100*report.Finite(ph.Ratio))
		if groupW < 200 { // many phases: the long label would run into its neighbours'
			under = fmt.Sprintf("%.0f (%.0f%%)", ph.Goodput, 100*report.Finite(ph.Ratio))
		}
		p(`<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`+"\n", cx, base+37, report.Esc(under))
	}
	p("</svg>\n")
	return w.Flush()
}
