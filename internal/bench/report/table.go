// Package report holds what the bench tools' reports are made of: tables
// printed for a terminal or as Markdown, numbers at a readable precision,
// and the pieces every SVG chart shares.
package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Table is one table of a report, rendered as text or Markdown.
type Table struct {
	Title   string
	Note    string
	Headers []string
	Rows    [][]string
	Labels  int // leading label columns, left-aligned in Markdown; 0 means 2
}

// Text prints the table for a terminal, columns right-aligned.
func (t Table) Text(w io.Writer) {
	fmt.Fprintf(w, "\n%s\n", t.Title)
	if t.Note != "" {
		fmt.Fprintf(w, "(%s)\n", t.Note)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(t.Headers, "\t")+"\t")
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	tw.Flush()
}

// Markdown prints the table as a Markdown section.
func (t Table) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\n### %s\n\n", t.Title)
	if t.Note != "" {
		fmt.Fprintf(w, "%s\n\n", t.Note)
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(t.Headers, " | "))
	labels := t.Labels
	if labels == 0 {
		labels = 2
	}
	align := make([]string, len(t.Headers))
	for i := range align {
		align[i] = "---:"
		if i < labels {
			align[i] = "---"
		}
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(align, "|"))
	for _, r := range t.Rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}

// Num formats a measurement with sensible precision; NaN and infinity (a
// missing measurement) print as "-".
func Num(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "-"
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 0.1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// Ratio is a/b, NaN when b is 0 (so that it prints as "-").
func Ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// OrList joins names for a sentence: "a", "a or b", "a, b or c".
func OrList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
