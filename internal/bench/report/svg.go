package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// SVGStart writes the XML declaration, the opening <svg> of a chart of
// width × height on a white background, and its bold title at x.
func SVGStart(w io.Writer, width, height, x int, title string) {
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n", width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(w, `<text x="%d" y="28" font-size="17" font-weight="bold">%s</text>`+"\n", x, Esc(title))
}

// Esc escapes text for XML.
func Esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// MsLabel prints a latency compactly: 31.2, 812, 1.4s.
func MsLabel(v float64) string {
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

// MsUnit is MsLabel with its unit: 31.2 ms, 1.4s.
func MsUnit(v float64) string {
	l := MsLabel(v)
	if strings.HasSuffix(l, "s") {
		return l
	}
	return l + " ms"
}

// Finite is 0 for NaN or infinity (a ratio to a best of 0).
func Finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// NiceStep is the 1, 2 or 5 × 10^k at or above v.
func NiceStep(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}
