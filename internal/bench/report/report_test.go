package report

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.0123: "0.012", 0.5: "0.50", 12.34: "12.3", 1234.5: "1234", math.NaN(): "-"} {
		if got := Num(v); got != want {
			t.Errorf("Num(%v) = %q, want %q", v, got, want)
		}
	}
	if got := strconv.Quote(MsLabel(1500)); got != `"1.5s"` {
		t.Errorf("MsLabel(1500) = %s", got)
	}
}

func TestTableMarkdownAlignsLabelsLeft(t *testing.T) {
	var b strings.Builder
	Table{Title: "T", Headers: []string{"a", "b", "c"}, Rows: [][]string{{"1", "2", "3"}}, Labels: 1}.Markdown(&b)
	if !strings.Contains(b.String(), "|---|---:|---:|\n| 1 | 2 | 3 |") {
		t.Errorf("one label column:\n%s", b.String())
	}
	b.Reset()
	Table{Title: "T", Headers: []string{"a", "b", "c"}}.Markdown(&b)
	if !strings.Contains(b.String(), "|---|---|---:|") {
		t.Errorf("two label columns by default:\n%s", b.String())
	}
}

func TestOrList(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a or b"}, {[]string{"app", "pad", "web", "mini"}, "app, pad, web or mini"}} {
		if got := OrList(c.in); got != c.want {
			t.Errorf("OrList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for in, want := range map[float64]float64{0.7: 1, 1: 1, 1.2: 2, 3: 5, 7: 10, 660: 1000, 2100: 5000, 0: 1, math.NaN(): 1} {
		if got := NiceStep(in); got != want {
			t.Errorf("NiceStep(%v) = %v, want %v", in, got, want)
		}
	}
}
