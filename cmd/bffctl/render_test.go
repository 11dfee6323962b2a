package main

import (
	"bytes"
	"strings"
	"testing"

	"mosaic/bff/devicediff"
)

func TestRender(t *testing.T) {
	app := flatten(t, `{"cards":[{"aid":1,"stats":{"view":{"num":1,"text":"1"}}}]}`)
	web := flatten(t, `{"cards":[{"aid":1,"stats":{"view":1}}]}`)
	mini := flatten(t, `{"cards":[{"aid":1,"view":"1"}]}`)
	rows := devicediff.Diff([]devicediff.Fields{app, nil, web, mini})
	cs := func(first, n, size int) devicediff.CardSet {
		s := devicediff.CardSet{List: "cards"}
		for i := range n {
			s.Items = append(s.Items, devicediff.Card{Aid: int64(first + i), HasAid: true, Bytes: size})
		}
		return s
	}
	reports := []deviceReport{
		{name: "app", status: "200", spec: "ok", bytes: 1234, cards: cs(100, 10, 100), parsed: true},
		{name: "pad", status: "503", spec: "ok", bytes: 80},
		{name: "web", status: "200", spec: "FAIL", bytes: 5000, cards: cs(200, 20, 240), parsed: true},
		{name: "mini", status: "200", spec: "ok", bytes: 700, cards: cs(300, 6, 110), parsed: true},
	}
	b := devicediff.CheckBudget(reports[3].cards.All(), reports[2].cards.All(), 0.40)

	var buf bytes.Buffer
	if err := render(&buf, rows, reports, b); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	t.Log("\n" + out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	fieldsOf := func(prefix string) []string {
		for _, l := range lines {
			if f := strings.Fields(l); len(f) > 0 && f[0] == prefix {
				return f
			}
		}
		t.Fatalf("no line for %q in\n%s", prefix, out)
		return nil
	}
	for prefix, want := range map[string]string{
		"path":                   "path app pad web mini note",
		"cards[].stats.view":     "cards[].stats.view present absent present absent differs: object on app; number on web",
		"cards[].view":           "cards[].view absent absent absent present",
		"status":                 "status 200 503 200 200",
		"spec":                   "spec ok ok FAIL ok",
		"bytes":                  "bytes 1234 80 5000 700",
		"cards[]":                "cards[] present absent present present",
		"bytes/card":             "bytes/card 100 - 240 110",
		"cards[].stats.view.num": "cards[].stats.view.num present absent absent absent",
	} {
		if got := strings.Join(fieldsOf(prefix), " "); got != want {
			t.Errorf("line %q, want %q", got, want)
		}
	}
	if !strings.Contains(out, "budget: mini/web card bytes <= 0.40: 0 of 6 mini cards paired by aid, averages 110 B / 240 B = 0.46: OVER BUDGET") {
		t.Errorf("no budget line in\n%s", out)
	}
	for i, l := range lines {
		if strings.TrimRight(l, " ") != l {
			t.Errorf("line %d has trailing spaces: %q", i, l)
		}
	}
	// Columns line up: every device column starts at the same offset.
	header := lines[0]
	col := strings.Index(header, "web")
	for _, l := range lines[1:] {
		if l == "" || strings.HasPrefix(l, "budget") {
			break
		}
		if len(l) > col && l[col-1] != ' ' {
			t.Errorf("web column misaligned in %q", l)
		}
	}
}

func TestRenderBudgetPairs(t *testing.T) {
	b := devicediff.CheckBudget(cards(1, 30, 2, 50, 3, 40), cards(1, 100, 2, 100, 3, 100), 0.40)
	var buf bytes.Buffer
	renderBudget(&buf, b)
	want := "budget: mini/web card bytes <= 0.40: 3 cards paired by aid, 120 B / 300 B = 0.40: ok\n" +
		"  heaviest: aid 2 at 0.50 (50 B / 100 B)\n" +
		"  heaviest: aid 3 at 0.40 (40 B / 100 B)\n" +
		"  heaviest: aid 1 at 0.30 (30 B / 100 B)\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}

	buf.Reset()
	renderBudget(&buf, devicediff.CheckBudget(cards(1, 50), cards(1, 100), 0.40))
	if !strings.HasPrefix(buf.String(), "budget: mini/web card bytes <= 0.40: 1 of 1 mini cards paired by aid, averages 50 B / 100 B = 0.50: not held to it, fewer than 3 cards\n") {
		t.Errorf("one card: got %q", buf.String())
	}

	buf.Reset()
	renderBudget(&buf, devicediff.CheckBudget(nil, cards(1, 100), 0.40))
	if !strings.Contains(buf.String(), "not checked, no mini cards") {
		t.Errorf("got %q", buf.String())
	}
}

func flatten(t *testing.T, body string) devicediff.Fields {
	t.Helper()
	f, err := devicediff.Flatten([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func cards(aidBytes ...int) []devicediff.Card {
	var out []devicediff.Card
	for i := 0; i+1 < len(aidBytes); i += 2 {
		out = append(out, devicediff.Card{Aid: int64(aidBytes[i]), HasAid: true, Bytes: aidBytes[i+1]})
	}
	return out
}
