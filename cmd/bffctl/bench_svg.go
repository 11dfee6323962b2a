package main

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
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

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// msLabel prints a latency compactly: 31.2, 812, 1.4s.
func msLabel(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fs", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.1fs", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// axisLabel prints a gridline's value: 10, 200, 1s.
func axisLabel(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%gs", v/1000)
	}
	return fmt.Sprintf("%g", v)
}

// writeSVG draws c as a standalone SVG document.
func writeSVG(out io.Writer, c chart) error {
	const (
		width, height = 980, 560
		left, right   = 78, 24
		top, bottom   = 92, 74
	)
	plotW, plotH := float64(width-left-right), float64(height-top-bottom)
	lo, hi := logRange(c.values)
	y := func(v float64) float64 {
		v = math.Max(v, lo)
		return float64(top) + plotH*(1-(math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo)))
	}
	w := bufio.NewWriter(out)
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }

	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	p(`<text x="%d" y="28" font-size="17" font-weight="bold">%s</text>`+"\n", left, esc(c.title))

	// Legend: a colour per series, a shade per percentile.
	lx := float64(left)
	for i, s := range c.series {
		p(`<rect x="%.1f" y="44" width="14" height="14" fill="%s"/>`, lx, seriesColors()[i%len(seriesColors())])
		p(`<text x="%.1f" y="56" font-size="13">%s</text>`+"\n", lx+19, esc(s))
		lx += 30 + 8*float64(len(s))
	}
	lx += 24
	for i, name := range percentileNames() {
		p(`<rect x="%.1f" y="44" width="14" height="14" fill="#555555" fill-opacity="%.2f"/>`, lx, percentileOpacity()[i])
		p(`<text x="%.1f" y="56" font-size="13">%s</text>`+"\n", lx+19, name)
		lx += 30 + 8*float64(len(name))
	}
	p(`<text x="%.1f" y="56" font-size="12" fill="#666666">log scale; values in ms unless marked s</text>`+"\n", lx+10)

	// Grid and y axis: each decade labelled, 2 and 5 as faint lines.
	for d := lo; d <= hi*1.0001; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			v := d * m
			if v > hi*1.0001 {
				break
			}
			yy := y(v)
			if m == 1 {
				p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#cccccc"/>`, left, yy, width-right, yy)
				p(`<text x="%d" y="%.1f" font-size="12" text-anchor="end">%s</text>`+"\n", left-8, yy+4, esc(axisLabel(v)))
			} else {
				p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eeeeee"/>`, left, yy, width-right, yy)
				p(`<text x="%d" y="%.1f" font-size="10" fill="#999999" text-anchor="end">%s</text>`+"\n", left-8, yy+3, esc(axisLabel(v)))
			}
		}
	}
	p(`<text transform="translate(20 %.1f) rotate(-90)" font-size="13" text-anchor="middle">latency (ms, log scale)</text>`+"\n", float64(top)+plotH/2)
	p(`<line x1="%d" y1="%d" x2="%d" y2="%.1f" stroke="#333333"/>`, left, top, left, float64(top)+plotH)
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333333"/>`+"\n", left, float64(top)+plotH, width-right, float64(top)+plotH)

	// Bars.
	ng, ns := max(len(c.groups), 1), max(len(c.series), 1)
	groupW := plotW / float64(ng)
	clusterW := groupW * 0.84 / float64(ns)
	barW := clusterW * 0.82 / 3
	base := float64(top) + plotH
	for gi, g := range c.groups {
		gx := float64(left) + groupW*float64(gi) + groupW*0.08
		for si, s := range c.series {
			cx := gx + clusterW*float64(si)
			color := seriesColors()[si%len(seriesColors())]
			for _, cv := range c.values {
				if cv.group != g || cv.series != s {
					continue
				}
				for pi, v := range cv.v {
					if v <= 0 {
						continue
					}
					bx := cx + clusterW*0.09 + barW*float64(pi)
					by := y(v)
					p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.2f"><title>%s %s %s: %s ms</title></rect>`+"\n",
						bx, by, barW-1, base-by, color, percentileOpacity()[pi], esc(g), esc(s), percentileNames()[pi], esc(fmt.Sprintf("%.2f", v)))
					p(`<text transform="translate(%.1f %.1f) rotate(-90)" font-size="10">%s</text>`+"\n", bx+barW/2+3, by-4, esc(msLabel(v)))
				}
			}
			p(`<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`+"\n", cx+clusterW/2, base+17, esc(s))
		}
		p(`<text x="%.1f" y="%.1f" font-size="15" font-weight="bold" text-anchor="middle">%s</text>`+"\n", gx+groupW*0.42, base+42, esc(g))
	}
	p("</svg>\n")
	return w.Flush()
}
