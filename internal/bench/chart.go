package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"

	"mosaic/internal/bench/report"
)

// chart is a grouped bar chart of three percentiles on a log scale: one
// group per scene, one cluster of three bars (p50, p99, p99.9) per series
// (implementation) in each group.
type chart struct {
	title  string
	groups []string
	series []string
	values []chartValue
}

type chartValue struct {
	group, series string
	v             [3]float64 // ms: p50, p99, p99.9
}

// seriesColors are the implementations' colors, in order.
func seriesColors() []string { return []string{"#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e"} }

func percentileNames() [3]string    { return [3]string{"p50", "p99", "p99.9"} }
func percentileOpacity() [3]float64 { return [3]float64{1, 0.62, 0.32} }

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

// chartFrame is the plot area of the latency chart and its log scale.
type chartFrame struct {
	p            func(format string, a ...any)
	left, right  int // margins
	width        int
	top          float64
	plotW, plotH float64
	lo, hi       float64
}

func (f chartFrame) y(v float64) float64 {
	v = math.Max(v, f.lo)
	return f.top + f.plotH*(1-(math.Log10(v)-math.Log10(f.lo))/(math.Log10(f.hi)-math.Log10(f.lo)))
}

// writeSVG draws c as a standalone SVG document.
func writeSVG(out io.Writer, c chart) error {
	const (
		width, height = 980, 560
		left, right   = 78, 24
		top, bottom   = 92, 74
	)
	w := bufio.NewWriter(out)
	f := chartFrame{p: func(format string, a ...any) { fmt.Fprintf(w, format, a...) }, left: left, right: right, width: width,
		top: top, plotW: float64(width - left - right), plotH: float64(height - top - bottom)}
	f.lo, f.hi = logRange(c.values)
	report.SVGStart(w, width, height, left, c.title)
	f.legend(c)
	f.grid()
	f.bars(c)
	f.p("</svg>\n")
	return w.Flush()
}

// legend: a colour per series, a shade per percentile.
func (f chartFrame) legend(c chart) {
	p := f.p
	lx := float64(f.left)
	for i, s := range c.series {
		p(`<rect x="%.1f" y="44" width="14" height="14" fill="%s"/>`, lx, seriesColors()[i%len(seriesColors())])
		p(`<text x="%.1f" y="56" font-size="13">%s</text>`+"\n", lx+19, report.Esc(s))
		lx += 30 + 8*float64(len(s))
	}
	lx += 24
	for i, name := range percentileNames() {
		p(`<rect x="%.1f" y="44" width="14" height="14" fill="#555555" fill-opacity="%.2f"/>`, lx, percentileOpacity()[i])
		p(`<text x="%.1f" y="56" font-size="13">%s</text>`+"\n", lx+19, name)
		lx += 30 + 8*float64(len(name))
	}
	p(`<text x="%.1f" y="56" font-size="12" fill="#666666">log scale; values in ms unless marked s</text>`+"\n", lx+10)
}

// grid and y axis: each decade labelled, 2 and 5 as faint lines.
func (f chartFrame) grid() {
	p, left, right := f.p, f.left, f.width-f.right
	for d := f.lo; d <= f.hi*1.0001; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			v := d * m
			if v > f.hi*1.0001 {
				break
			}
			yy := f.y(v)
			if m == 1 {
				p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#cccccc"/>`, left, yy, right, yy)
				p(`<text x="%d" y="%.1f" font-size="12" text-anchor="end">%s</text>`+"\n", left-8, yy+4, report.Esc(axisLabel(v)))
			} else {
				p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eeeeee"/>`, left, yy, right, yy)
				p(`<text x="%d" y="%.1f" font-size="10" fill="#999999" text-anchor="end">%s</text>`+"\n", left-8, yy+3, report.Esc(axisLabel(v)))
			}
		}
	}
	p(`<text transform="translate(20 %.1f) rotate(-90)" font-size="13" text-anchor="middle">latency (ms, log scale)</text>`+"\n", f.top+f.plotH/2)
	p(`<line x1="%d" y1="%d" x2="%d" y2="%.1f" stroke="#333333"/>`, left, int(f.top), left, f.top+f.plotH)
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`+"\n", left, f.top+f.plotH, right, f.top+f.plotH)
}

// bars: a group per scene, a cluster of three bars per series in it.
func (f chartFrame) bars(c chart) {
	p := f.p
	ng, ns := max(len(c.groups), 1), max(len(c.series), 1)
	groupW := f.plotW / float64(ng)
	clusterW := groupW * 0.84 / float64(ns)
	base := f.top + f.plotH
	for gi, g := range c.groups {
		gx := float64(f.left) + groupW*float64(gi) + groupW*0.08
		for si, s := range c.series {
			cx := gx + clusterW*float64(si)
			color := seriesColors()[si%len(seriesColors())]
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

// cluster draws one value's three percentile bars from cx.
func (f chartFrame) cluster(cv chartValue, cx, clusterW float64, color string) {
	barW := clusterW * 0.82 / 3
	base := f.top + f.plotH
	for pi, v := range cv.v {
		if v <= 0 {
			continue
		}
		bx := cx + clusterW*0.09 + barW*float64(pi)
		by := f.y(v)
		f.p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.2f"><title>%s %s %s: %s ms</title></rect>`+"\n",
			bx, by, barW-1, base-by, color, percentileOpacity()[pi], report.Esc(cv.group), report.Esc(cv.series), percentileNames()[pi], report.Esc(fmt.Sprintf("%.2f", v)))
		f.p(`<text transform="translate(%.1f %.1f) rotate(-90)" font-size="10">%s</text>`+"\n", bx+barW/2+3, by-4, report.Esc(report.MsLabel(v)))
	}
}
