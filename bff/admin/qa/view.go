package qa

import (
	"fmt"
	"strconv"
	"strings"

	"mosaic/bff/device"
	"mosaic/bff/devicediff"
)

// view is what the page template renders.
type view struct {
	Query     query
	Request   string // the request in one line
	Peer      string
	Networks  []device.Network
	Devices   []deviceView
	Rows      []rowView
	Differing int
	// Ratio is the mini body's bytes over the web body's, "-" when either
	// did not answer 200.
	Ratio  string
	Budget budgetView
}

// deviceView is one device's column header and summary.
type deviceView struct {
	Name    string
	Status  int
	OK      bool   // answered 200 with a readable body
	Spec    string // ok, or FAIL
	SpecErr string
	Err     string
	Bytes   int
	Gzip    int
	List    string // the main list's name, "" for none
	Cards   int
	PerCard string // mean card bytes, "-" for none
	Raw     string // link to the raw body
}

type rowView struct {
	Path    string
	Differs bool
	Note    string
	Cells   []cellView
}

type cellView struct {
	Text  string
	Class string
}

type budgetView struct {
	Checked bool
	Over    bool
	Text    string
}

func newView(q query, peer string, results []result) view {
	v := view{Query: q, Request: q.describe(), Peer: peer, Networks: device.Networks()}
	byDevice := make([]devicediff.Fields, len(results))
	for i, r := range results {
		v.Devices = append(v.Devices, newDeviceView(q, r))
		byDevice[i] = r.fields
	}
	for _, row := range devicediff.Diff(byDevice) {
		rv := newRowView(row, results)
		if rv.Differs {
			v.Differing++
		}
		v.Rows = append(v.Rows, rv)
	}
	mini, web := find(results, "mini"), find(results, "web")
	v.Ratio = "-"
	if mini.parsed && web.parsed && len(web.body) > 0 {
		v.Ratio = strconv.FormatFloat(float64(len(mini.body))/float64(len(web.body)), 'f', 2, 64)
	}
	v.Budget = newBudgetView(mini, web)
	return v
}

func find(results []result, dev string) result {
	for _, r := range results {
		if r.device == dev {
			return r
		}
	}
	return result{device: dev}
}

func newDeviceView(q query, r result) deviceView {
	d := deviceView{Name: r.device, Status: r.status, OK: r.parsed, Spec: "ok", Bytes: len(r.body), Gzip: r.gzip, PerCard: "-"}
	if r.spec != nil {
		d.Spec, d.SpecErr = "FAIL", r.spec.Error()
	}
	if r.err != nil {
		d.Err = r.err.Error()
	}
	if r.parsed {
		d.List, d.Cards = r.cards.List, len(r.cards.Items)
		if len(r.cards.Items) > 0 {
			d.PerCard = strconv.FormatFloat(devicediff.AvgBytes(r.cards.Items), 'f', 0, 64)
		}
	}
	raw := q.values()
	raw.Set("device", r.device)
	d.Raw = rawPath + "?" + raw.Encode()
	return d
}

// newRowView marks a row that differs between the devices that answered:
// every one of their cells is highlighted, absent ones apart, so a glance
// down a device's column shows what it lacks or types differently.
func newRowView(row devicediff.Row, results []result) rowView {
	rv := rowView{Path: row.Path, Differs: row.Differs || row.Partial, Note: row.Note(devicediff.Devices())}
	if row.Partial {
		var on, off []string
		for i, r := range results {
			switch {
			case r.fields == nil:
			case row.Present(i):
				on = append(on, r.device)
			default:
				off = append(off, r.device)
			}
		}
		if rv.Note == "" {
			rv.Note = "only on " + strings.Join(on, ",")
		} else {
			rv.Note += "; absent on " + strings.Join(off, ",")
		}
	}
	for i, r := range results {
		c := cellView{Text: "—", Class: "absent"}
		if row.Present(i) {
			c = cellView{Text: strings.Join(row.Types[i], "|"), Class: "present"}
		}
		switch {
		case r.fields == nil:
			c = cellView{Text: "no body", Class: "failed"}
		case rv.Differs:
			c.Class += " diff"
		}
		rv.Cells = append(rv.Cells, c)
	}
	return rv
}

func newBudgetView(mini, web result) budgetView {
	if !mini.parsed || !web.parsed {
		return budgetView{Text: "not checked: no 200 from both mini and web"}
	}
	b := devicediff.CheckBudget(mini.cards.All(), web.cards.All(), devicediff.MiniBudget)
	bv := budgetView{Checked: b.Skipped == "" && !b.TooFew(), Over: b.Over()}
	switch {
	case b.Skipped != "":
		bv.Text = "not checked: " + b.Skipped
		return bv
	case b.Averaged():
		bv.Text = fmt.Sprintf("%d of %d mini cards paired by aid: average mini card %.0f B / average web card %.0f B = %.2f (budget %.2f)", len(b.Pairs), b.MiniCards, b.MiniAvg, b.WebAvg, b.Ratio, b.Limit)
	default:
		bv.Text = fmt.Sprintf("%d cards paired by aid: %d B / %d B = %.2f (budget %.2f)", len(b.Pairs), b.MiniBytes, b.WebBytes, b.Ratio, b.Limit)
	}
	if h := b.Heaviest(1); len(h) == 1 {
		bv.Text += fmt.Sprintf("; heaviest aid %d at %.2f", h[0].Aid, h[0].Ratio)
	}
	if b.TooFew() {
		bv.Text += fmt.Sprintf("; not held to the budget, fewer than %d cards", devicediff.MinBudgetCards)
	}
	return bv
}
