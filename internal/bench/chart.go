package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"mosaic/internal/bench/report"
)

// chart is a grouped bar chart: one group per scene, one cluster per
// series (implementation) in each group, one bar per measure (p50, p99,
// p99.9; or req/s) in each cluster.
type chart struct {
	title    string
	groups   []string
	series   []string
	measures []string // one shade each; nil: the latency percentiles
	linear   bool     // from 0; otherwise log decades
	yLabel   string   // "" for the latency axis
	colors   []string // of the series; nil: seriesColors in order
	values   []chartValue
}

// color is series i's.
func (c chart) color(i int) string {
	if i < len(c.colors) {
		return c.colors[i]
	}
	return seriesColors()[i%len(seriesColors())]
}

type chartValue struct {
	group, series string
	v             []float64 // one per measure; 0 draws no bar
}

// seriesColors are the implementations' colors, in order.
func seriesColors() []string {
	return []string{"#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e"}
}

func percentileNames() []string { return []string{"p50", "p99", "p99.9"} }
func measureOpacity() []float64 { return []float64{1, 0.62, 0.32} }
func (c chart) measureNames() []string {
	if c.measures == nil {
		return percentileNames()
	}
	return c.measures
}

// The layout: a title line, then stacked panels of one chart each.
const (
	chartWidth            = 980
	chartLeft, chartRight = 78, 24
	chartHead             = 40  // the title's band
	panelHeight           = 520 // legend band, plot, group labels
	panelTop, panelBottom = 52, 74
)

// logRange returns the decades spanning every positive value.
func logRange(values []chartValue) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, cv := range values {
		for _, v := range cv.v {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 1, 1000
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	return lo, hi
}

// axisLabel prints a gridline's value: 10, 200, 1s.
func axisLabel(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%gs", v/1000)
	}
	return fmt.Sprintf("%g", v)
}

// chartFrame is one panel's plot area and scale.
type chartFrame struct {
	p            func(format string, a ...any)
	c            chart
	y0           float64 // the panel's top
	top          float64 // the plot's top
	plotW, plotH float64
	lo, hi       float64
	step         float64 // linear only: between gridlines
}

func (f chartFrame) y(v float64) float64 {
	if f.c.linear {
		return f.top + f.plotH*(1-v/f.hi)
	}
	v = math.Max(v, f.lo)
	return f.top + f.plotH*(1-(math.Log10(v)-math.Log10(f.lo))/(math.Log10(f.hi)-math.Log10(f.lo)))
}

// writeSVG draws c as a standalone SVG document.
func writeSVG(out io.Writer, c chart) error {
	sub := c
	sub.title = ""
	return writeCharts(out, c.title, sub)
}

// writeCharts draws the charts one above the other under title, each
// chart's own title at the head of its legend.
func writeCharts(out io.Writer, title string, charts ...chart) error {
	w := bufio.NewWriter(out)
	report.SVGStart(w, chartWidth, chartHead+panelHeight*len(charts), chartLeft, title)
	for i, c := range charts {
		y0 := float64(chartHead + panelHeight*i)
		f := chartFrame{p: func(format string, a ...any) { fmt.Fprintf(w, format, a...) }, c: c, y0: y0, top: y0 + panelTop,
			plotW: chartWidth - chartLeft - chartRight, plotH: panelHeight - panelTop - panelBottom}
		f.scale()
		f.legend()
		f.grid()
		f.bars()
	}
	fmt.Fprintf(w, "</svg>\n")
	return w.Flush()
}

// scale fits the axis to the values: log decades, or 0 to a round number.
func (f *chartFrame) scale() {
	if !f.c.linear {
		f.lo, f.hi = logRange(f.c.values)
		return
	}
	top := 0.0
	for _, cv := range f.c.values {
		for _, v := range cv.v {
			top = math.Max(top, v)
		}
	}
	f.step = report.NiceStep(top * 1.1 / 5)
	f.lo, f.hi = 0, f.step*math.Ceil(top*1.1/f.step)
	if f.hi <= 0 {
		f.hi = f.step
	}
}

// legend: the chart's title, a colour per series, a shade per measure.
func (f chartFrame) legend() {
	p, c := f.p, f.c
	lx, ly := float64(chartLeft), f.y0+4
	if c.title != "" {
		p(`<text x="%.1f" y="%.1f" font-size="14" font-weight="bold">%s</text>`+"\n", lx, ly+12, report.Esc(c.title))
		lx += 16 + 7.5*float64(len(c.title))
	}
	for i, s := range c.series {
		p(`<rect x="%.1f" y="%.1f" width="14" height="14" fill="%s"/>`, lx, ly, c.color(i))
		p(`<text x="%.1f" y="%.1f" font-size="13">%s</text>`+"\n", lx+19, ly+12, report.Esc(s))
		lx += 30 + 8*float64(len(s))
	}
	if names := c.measureNames(); len(names) > 1 {
		lx += 24
		for i, name := range names {
			p(`<rect x="%.1f" y="%.1f" width="14" height="14" fill="#555555" fill-opacity="%.2f"/>`, lx, ly, measureOpacity()[i])
			p(`<text x="%.1f" y="%.1f" font-size="13">%s</text>`+"\n", lx+19, ly+12, name)
			lx += 30 + 8*float64(len(name))
		}
	}
	if !c.linear {
		note := "log scale; values in ms unless marked s"
		if c.title != "" { // a panel's legend has less room
			note = "log scale, ms"
		}
		p(`<text x="%.1f" y="%.1f" font-size="12" fill="#666666">%s</text>`+"\n", lx+10, ly+12, note)
	}
}

// grid and y axis: linear steps, or each decade labelled with 2 and 5 as
// faint lines.
func (f chartFrame) grid() {
	p, left, right := f.p, chartLeft, chartWidth-chartRight
	line := func(v float64, major bool) {
		stroke, size, color := "#eeeeee", 10, "#999999"
		if major {
			stroke, size, color = "#cccccc", 12, "#000000"
		}
		yy := f.y(v)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`, left, yy, right, yy, stroke)
		p(`<text x="%d" y="%.1f" font-size="%d" fill="%s" text-anchor="end">%s</text>`+"\n", left-8, yy+4, size, color, report.Esc(f.axisLabel(v)))
	}
	if f.c.linear {
		for v := 0.0; v <= f.hi*1.0001; v += f.step {
			line(v, true)
		}
	} else {
		for d := f.lo; d <= f.hi*1.0001; d *= 10 {
			for _, m := range []float64{1, 2, 5} {
				if d*m <= f.hi*1.0001 {
					line(d*m, m == 1)
				}
			}
		}
	}
	label := f.c.yLabel
	if label == "" {
		label = "latency (ms, log scale)"
	}
	p(`<text transform="translate(20 %.1f) rotate(-90)" font-size="13" text-anchor="middle">%s</text>`+"\n", f.top+f.plotH/2, report.Esc(label))
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`, left, f.top, left, f.top+f.plotH)
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`+"\n", left, f.top+f.plotH, right, f.top+f.plotH)
}

// axisLabel is a gridline's label: in ms on the latency axis, plain on a
// linear one.
func (f chartFrame) axisLabel(v float64) string {
	if f.c.linear {
		return fmt.Sprintf("%g", v)
	}
	return axisLabel(v)
}

// bars: a group per scene, a cluster of bars per series in it.
func (f chartFrame) bars() {
	p, c := f.p, f.c
	ng, ns := max(len(c.groups), 1), max(len(c.series), 1)
	groupW := f.plotW / float64(ng)
	clusterW := groupW * 0.84 / float64(ns)
	base := f.top + f.plotH
	for gi, g := range c.groups {
		gx := float64(chartLeft) + groupW*float64(gi) + groupW*0.08
		for si, s := range c.series {
			cx := gx + clusterW*float64(si)
			color := c.color(si)
			for _, cv := range c.values {
				if cv.group == g && cv.series == s {
					f.cluster(cv, cx, clusterW, color)
				}
			}
			p(`<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`+"\n", cx+clusterW/2, base+17, report.Esc(s))
		}
		p(`<text x="%.1f" y="%.1f" font-size="15" font-weight="bold" text-anchor="middle">%s</text>`+"\n", gx+groupW*0.42, base+42, report.Esc(g))
	}
}

// cluster draws one value's bars from cx, one per measure.
func (f chartFrame) cluster(cv chartValue, cx, clusterW float64, color string) {
	names := f.c.measureNames()
	barW := clusterW * 0.82 / float64(len(names))
	base := f.top + f.plotH
	for i, v := range cv.v[:min(len(cv.v), len(names))] {
		if v <= 0 {
			continue
		}
		bx := cx + clusterW*0.09 + barW*float64(i)
		by := f.y(v)
		label := report.MsLabel(v)
		if f.c.linear {
			label = report.Num(v)
		}
		f.p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.2f"><title>%s %s %s: %s</title></rect>`+"\n",
			bx, by, barW-1, base-by, color, measureOpacity()[i], report.Esc(cv.group), report.Esc(cv.series), names[i], report.Esc(fmt.Sprintf("%.2f", v)))
		f.p(`<text transform="translate(%.1f %.1f) rotate(-90)" font-size="10">%s</text>`+"\n", bx+barW/2+3, by-4, report.Esc(label))
	}
}
