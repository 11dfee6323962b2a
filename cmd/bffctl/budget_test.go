package main

import (
	"strings"
	"testing"
)

func cards(aidBytes ...int) []card {
	var out []card
	for i := 0; i+1 < len(aidBytes); i += 2 {
		out = append(out, card{aid: int64(aidBytes[i]), hasAid: true, bytes: aidBytes[i+1]})
	}
	return out
}

func TestCheckBudgetPairsByAid(t *testing.T) {
	mini := cards(1, 40, 2, 41, 3, 10)
	web := cards(2, 100, 1, 100, 9, 1000)
	b := checkBudget(mini, web, 0.40)
	if len(b.pairs) != 2 {
		t.Fatalf("pairs %v, want aids 1 and 2", b.pairs)
	}
	if b.pairs[0].aid != 1 || b.pairs[0].overBudget {
		t.Errorf("aid 1 at exactly the budget: %+v", b.pairs[0])
	}
	if b.pairs[1].aid != 2 || !b.pairs[1].overBudget {
		t.Errorf("aid 2 over the budget: %+v", b.pairs[1])
	}
	if b.ratio != 0.41 {
		t.Errorf("worst ratio %v, want 0.41", b.ratio)
	}
	err := b.err()
	if err == nil {
		t.Fatal("no error for aid 2 over budget")
	}
	for _, want := range []string{"budget", "aid 2", "0.41", "41 B vs 100 B"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "aid 1 ") {
		t.Errorf("error %q names aid 1, which is within budget", err)
	}
}

func TestCheckBudgetWithinBudget(t *testing.T) {
	b := checkBudget(cards(1, 30, 2, 39), cards(1, 100, 2, 100), 0.40)
	if err := b.err(); err != nil {
		t.Fatal(err)
	}
	if b.averaged() {
		t.Error("compared averages though aids are shared")
	}
}

func TestCheckBudgetAveragesWithoutCommonAids(t *testing.T) {
	mini := cards(1, 30, 2, 50)  // average 40
	web := cards(3, 100, 4, 100) // average 100
	b := checkBudget(mini, web, 0.40)
	if !b.averaged() || b.ratio != 0.40 {
		t.Fatalf("averaged %v ratio %v, want averages at 0.40", b.averaged(), b.ratio)
	}
	if err := b.err(); err != nil {
		t.Fatal(err)
	}

	b = checkBudget(cards(1, 30, 2, 52), web, 0.40)
	err := b.err()
	if err == nil || !strings.Contains(err.Error(), "average mini card is 0.41") {
		t.Fatalf("err = %v, want the averages over budget", err)
	}
}

func TestCheckBudgetNothingToCompare(t *testing.T) {
	for name, c := range map[string]struct{ mini, web []card }{
		"no mini": {nil, cards(1, 100)},
		"no web":  {cards(1, 100), nil},
	} {
		b := checkBudget(c.mini, c.web, 0.40)
		if b.skipped == "" || b.err() != nil {
			t.Errorf("%s: skipped %q err %v", name, b.skipped, b.err())
		}
	}
}

func TestCheckBudgetCapsListedBreaches(t *testing.T) {
	var mini, web []card
	for aid := range 8 {
		mini = append(mini, card{aid: int64(aid), hasAid: true, bytes: 90})
		web = append(web, card{aid: int64(aid), hasAid: true, bytes: 100})
	}
	err := checkBudget(mini, web, 0.40).err()
	if err == nil || !strings.Contains(err.Error(), "8 of 8") || !strings.Contains(err.Error(), "and 3 more") {
		t.Fatalf("err = %v", err)
	}
}

func TestExtractCards(t *testing.T) {
	for _, tc := range []struct {
		body      string
		list      string
		items     []card
		videoSize int
	}{
		{`{"page":1,"cards":[{"aid":7,"t":"x"},{"aid":8}]}`, "cards", cards(7, 17, 8, 9), 0},
		{`{"video":{"aid":1},"related":[{"aid":2}],"replies":[{"rpid":3}]}`, "related", cards(2, 9), 9},
		{`{"user":{"mid":1},"archives":[]}`, "archives", nil, 0},
		{`{"user":{"mid":1}}`, "", nil, 0},
	} {
		s, err := extractCards([]byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if s.list != tc.list || len(s.items) != len(tc.items) {
			t.Errorf("%s: list %q items %v, want %q %v", tc.body, s.list, s.items, tc.list, tc.items)
			continue
		}
		for i := range s.items {
			if s.items[i] != tc.items[i] {
				t.Errorf("%s: card %d = %+v, want %+v", tc.body, i, s.items[i], tc.items[i])
			}
		}
		if (s.video != nil) != (tc.videoSize > 0) || (s.video != nil && s.video.bytes != tc.videoSize) {
			t.Errorf("%s: video %+v", tc.body, s.video)
		}
		if got := len(s.all()); got != len(tc.items)+min(tc.videoSize, 1) {
			t.Errorf("%s: all() has %d cards", tc.body, got)
		}
	}
}

func TestExtractCardsWeighsCompactly(t *testing.T) {
	s, err := extractCards([]byte("{\"cards\": [ {\"aid\": 7,\n  \"t\": \"x\"} ]}"))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(`{"aid":7,"t":"x"}`); s.items[0].bytes != want {
		t.Errorf("bytes %d, want %d", s.items[0].bytes, want)
	}
}

func TestExtractCardsRejects(t *testing.T) {
	for _, body := range []string{`[]`, `{"cards":{}}`, `nope`} {
		if _, err := extractCards([]byte(body)); err == nil {
			t.Errorf("extractCards(%q) succeeded", body)
		}
	}
}
