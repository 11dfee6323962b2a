package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"mosaic/bff/devicediff"
)

// deviceReport is one device's column in the footer.
type deviceReport struct {
	name   string
	status string // the HTTP status, or "error" when there was no response
	spec   string // ok, FAIL, or - when not checked
	bytes  int
	cards  devicediff.CardSet
	parsed bool // whether cards holds the body's cards
}

// render writes the comparison: one line per path, then the footer (status,
// spec, sizes, cards per device) and the budget. Columns are aligned for a
// terminal.
func render(w io.Writer, rows []devicediff.Row, reports []deviceReport, b devicediff.Budget) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	cells := func(label string, cols []string, note string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", label, strings.Join(cols, "\t"), note)
	}
	names := make([]string, len(reports))
	for i, r := range reports {
		names[i] = r.name
	}

	cells("path", names, "note")
	for _, r := range rows {
		cols := make([]string, len(reports))
		for i := range reports {
			cols[i] = "absent"
			if r.Present(i) {
				cols[i] = "present"
			}
		}
		cells(r.Path, cols, r.Note(names))
	}

	cells("", make([]string, len(reports)), "")
	perDevice := func(label string, f func(deviceReport) string) {
		cols := make([]string, len(reports))
		for i, r := range reports {
			cols[i] = f(r)
		}
		cells(label, cols, "")
	}
	perDevice("status", func(r deviceReport) string { return r.status })
	perDevice("spec", func(r deviceReport) string { return r.spec })
	perDevice("bytes", func(r deviceReport) string { return strconv.Itoa(r.bytes) })
	list := ""
	for _, r := range reports {
		if r.cards.List != "" {
			list = r.cards.List
			break
		}
	}
	if list != "" {
		perDevice("#"+list, func(r deviceReport) string {
			if !r.parsed || r.cards.List == "" {
				return "-"
			}
			return strconv.Itoa(len(r.cards.Items))
		})
		perDevice("bytes/card", func(r deviceReport) string {
			if !r.parsed || len(r.cards.Items) == 0 {
				return "-"
			}
			return strconv.FormatFloat(devicediff.AvgBytes(r.cards.Items), 'f', 0, 64)
		})
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(&buf)
	renderBudget(&buf, b)

	// tabwriter pads the last cell of lines without a note; trim that.
	var out bytes.Buffer
	for line := range strings.Lines(buf.String()) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}

func renderBudget(w io.Writer, b devicediff.Budget) {
	verdict := func(over bool) string {
		if over {
			return "OVER BUDGET"
		}
		return "ok"
	}
	v := verdict(b.Over())
	if b.TooFew() {
		v = fmt.Sprintf("not held to it, fewer than %d cards", devicediff.MinBudgetCards)
	}
	switch {
	case b.Skipped != "":
		fmt.Fprintf(w, "budget: mini/web card bytes <= %.2f: not checked, %s\n", b.Limit, b.Skipped)
		return
	case b.Averaged():
		fmt.Fprintf(w, "budget: mini/web card bytes <= %.2f: %d of %d mini cards paired by aid, averages %.0f B / %.0f B = %.2f: %s\n",
			b.Limit, len(b.Pairs), b.MiniCards, b.MiniAvg, b.WebAvg, b.Ratio, v)
	default:
		fmt.Fprintf(w, "budget: mini/web card bytes <= %.2f: %d cards paired by aid, %d B / %d B = %.2f: %s\n",
			b.Limit, len(b.Pairs), b.MiniBytes, b.WebBytes, b.Ratio, v)
	}
	for _, p := range b.Heaviest(3) {
		fmt.Fprintf(w, "  heaviest: aid %d at %.2f (%d B / %d B)\n", p.Aid, p.Ratio, p.Mini, p.Web)
	}
}
