package devicediff

import (
	"strings"
	"testing"
)

func cards(aidBytes ...int) []Card {
	var out []Card
	for i := 0; i+1 < len(aidBytes); i += 2 {
		out = append(out, Card{Aid: int64(aidBytes[i]), HasAid: true, Bytes: aidBytes[i+1]})
	}
	return out
}

// The cards both devices show are weighed together: one heavy card does
// not break the budget of an answer whose cards are light together, and
// the heaviest are named when the answer does break it.
func TestCheckBudgetWeighsThePairedCardsTogether(t *testing.T) {
	light := []int{3, 40, 4, 40, 5, 40, 6, 40} // four more cards at 0.40
	mini := cards(append([]int{1, 30, 2, 50, 7, 10}, light...)...)
	web := cards(append([]int{2, 100, 1, 100, 9, 1000, 3, 100, 4, 100, 5, 100, 6, 100}, 0)...)
	b := CheckBudget(mini, web, 0.40)
	if len(b.Pairs) != 6 || b.Pairs[0].Aid != 1 || b.Pairs[1].Aid != 2 || b.Pairs[2].Aid != 3 {
		t.Fatalf("pairs %v, want aids 1 to 6 in mini order", b.Pairs)
	}
	if b.MiniBytes != 240 || b.WebBytes != 600 || b.Ratio != 0.40 || b.Over() || b.Err() != nil {
		t.Errorf("%d B vs %d B = %v, over %v, err %v: want 240 vs 600 = 0.40, at exactly the budget", b.MiniBytes, b.WebBytes, b.Ratio, b.Over(), b.Err())
	}
	if h := b.Heaviest(1); len(h) != 1 || h[0].Aid != 2 || h[0].Ratio != 0.5 {
		t.Errorf("heaviest %v, want aid 2 at 0.5", h)
	}

	b = CheckBudget(cards(append([]int{1, 36, 2, 50}, light...)...), web, 0.40)
	err := b.Err()
	if err == nil {
		t.Fatal("no error for 246 B against 600 B")
	}
	for _, want := range []string{"6 mini cards weigh 0.41", "246 B vs 600 B", "0.40 budget", "heaviest: aid 2 at 0.50 (50 B vs 100 B); aid 3 at 0.40"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// Fewer than three cards are weighed, not held to the budget: over one or
// two, it is the card-by-card rule the design cannot keep.
func TestCheckBudgetHoldsNoAnswerOfFewCards(t *testing.T) {
	for name, b := range map[string]Budget{
		"two paired cards":        CheckBudget(cards(1, 50, 2, 50), cards(1, 100, 2, 100), 0.40),
		"one card each, unpaired": CheckBudget(cards(1, 50), cards(2, 100), 0.40),
		"two mini cards":          CheckBudget(cards(1, 50, 2, 50), cards(6, 100, 7, 100, 8, 100, 9, 100, 10, 100, 11, 100), 0.40),
	} {
		if !b.TooFew() || b.Ratio != 0.5 || b.Over() || b.Err() != nil {
			t.Errorf("%s at 0.5: too few %v, ratio %v, over %v, err %v; want weighed, not over", name, b.TooFew(), b.Ratio, b.Over(), b.Err())
		}
	}
	if b := CheckBudget(nil, cards(1, 100), 0.40); b.TooFew() {
		t.Error("no mini answer is skipped, not an answer of few cards")
	}
	// Twelve cards each, two of them paired: the whole answers' averages
	// are held to the budget, not the two cards.
	var mini, web []Card
	for aid := range 12 {
		mini = append(mini, Card{Aid: int64(aid), HasAid: true, Bytes: 45})
		web = append(web, Card{Aid: int64(aid + 10), HasAid: true, Bytes: 100})
	}
	b := CheckBudget(mini, web, 0.40)
	if len(b.Pairs) != 2 || !b.Averaged() || b.TooFew() || !b.Over() || b.Ratio != 0.45 {
		t.Errorf("twelve cards, two paired: pairs %d, averaged %v, too few %v, over %v, ratio %v; want the averages over the budget", len(b.Pairs), b.Averaged(), b.TooFew(), b.Over(), b.Ratio)
	}
}

func TestCheckBudgetWithinBudget(t *testing.T) {
	b := CheckBudget(cards(1, 30, 2, 39, 3, 40, 4, 40, 5, 40, 6, 40), cards(1, 100, 2, 100, 3, 100, 4, 100, 5, 100, 6, 100), 0.40)
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	if b.Averaged() {
		t.Error("compared averages though aids are shared")
	}
}

func TestCheckBudgetAveragesWithoutCommonAids(t *testing.T) {
	mini := cards(1, 30, 2, 50, 3, 40, 4, 40, 5, 40, 6, 40)         // average 40
	web := cards(7, 100, 8, 100, 9, 100, 10, 100, 11, 100, 12, 100) // average 100
	b := CheckBudget(mini, web, 0.40)
	if !b.Averaged() || b.Ratio != 0.40 {
		t.Fatalf("averaged %v ratio %v, want averages at 0.40", b.Averaged(), b.Ratio)
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}

	b = CheckBudget(cards(1, 30, 2, 56, 3, 40, 4, 40, 5, 40, 6, 40), web, 0.40)
	err := b.Err()
	if err == nil || !strings.Contains(err.Error(), "average mini card is 0.41") {
		t.Fatalf("err = %v, want the averages over budget", err)
	}
}

func TestCheckBudgetNothingToCompare(t *testing.T) {
	for name, c := range map[string]struct{ mini, web []Card }{
		"no mini": {nil, cards(1, 100)},
		"no web":  {cards(1, 100), nil},
	} {
		b := CheckBudget(c.mini, c.web, 0.40)
		if b.Skipped == "" || b.Err() != nil {
			t.Errorf("%s: skipped %q err %v", name, b.Skipped, b.Err())
		}
	}
}

func TestCheckBudgetNamesTheThreeHeaviest(t *testing.T) {
	var mini, web []Card
	for aid := range 8 {
		mini = append(mini, Card{Aid: int64(aid), HasAid: true, Bytes: 90 - aid})
		web = append(web, Card{Aid: int64(aid), HasAid: true, Bytes: 100})
	}
	err := CheckBudget(mini, web, 0.40).Err()
	if err == nil || strings.Count(err.Error(), "aid ") != 3 || !strings.Contains(err.Error(), "aid 0 at 0.90") || strings.Contains(err.Error(), "aid 3 ") {
		t.Fatalf("err = %v, want aids 0, 1 and 2 named", err)
	}
}

func TestExtractCards(t *testing.T) {
	for _, tc := range []struct {
		body      string
		list      string
		items     []Card
		videoSize int
	}{
		{`{"page":1,"cards":[{"aid":7,"t":"x"},{"aid":8}]}`, "cards", cards(7, 17, 8, 9), 0},
		{`{"video":{"aid":1},"related":[{"aid":2}],"replies":[{"rpid":3}]}`, "related", cards(2, 9), 9},
		{`{"user":{"mid":1},"archives":[]}`, "archives", nil, 0},
		{`{"user":{"mid":1}}`, "", nil, 0},
	} {
		s, err := ExtractCards([]byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if s.List != tc.list || len(s.Items) != len(tc.items) {
			t.Errorf("%s: list %q items %v, want %q %v", tc.body, s.List, s.Items, tc.list, tc.items)
			continue
		}
		for i := range s.Items {
			if s.Items[i] != tc.items[i] {
				t.Errorf("%s: card %d = %+v, want %+v", tc.body, i, s.Items[i], tc.items[i])
			}
		}
		if (s.Video != nil) != (tc.videoSize > 0) || (s.Video != nil && s.Video.Bytes != tc.videoSize) {
			t.Errorf("%s: video %+v", tc.body, s.Video)
		}
		if got := len(s.All()); got != len(tc.items)+min(tc.videoSize, 1) {
			t.Errorf("%s: all() has %d cards", tc.body, got)
		}
	}
}

func TestExtractCardsWeighsCompactly(t *testing.T) {
	s, err := ExtractCards([]byte("{\"cards\": [ {\"aid\": 7,\n  \"t\": \"x\"} ]}"))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(`{"aid":7,"t":"x"}`); s.Items[0].Bytes != want {
		t.Errorf("bytes %d, want %d", s.Items[0].Bytes, want)
	}
}

func TestExtractCardsRejects(t *testing.T) {
	for _, body := range []string{`[]`, `{"cards":{}}`, `nope`} {
		if _, err := ExtractCards([]byte(body)); err == nil {
			t.Errorf("ExtractCards(%q) succeeded", body)
		}
	}
}

func TestBudgetOverMatchesErr(t *testing.T) {
	for _, b := range []Budget{
		CheckBudget(cards(1, 40), cards(1, 100), 0.40),
		CheckBudget(cards(1, 41), cards(1, 100), 0.40),
		CheckBudget(cards(1, 41, 2, 41, 3, 41, 4, 41, 5, 41, 6, 41), cards(1, 100, 2, 100, 3, 100, 4, 100, 5, 100, 6, 100), 0.40),
		CheckBudget(cards(1, 30), cards(2, 70), 0.40),
		CheckBudget(cards(1, 50), cards(2, 100), 0.40),
		CheckBudget(nil, cards(2, 100), 0.40),
	} {
		if b.Over() != (b.Err() != nil) {
			t.Errorf("%+v: Over %v but Err %v", b, b.Over(), b.Err())
		}
	}
	six := func(mini int) []Card { return cards(1, mini, 2, mini, 3, mini, 4, mini, 5, mini, 6, mini) }
	if !CheckBudget(six(41), six(100), 0.40).Over() {
		t.Error("six cards of 41 B against 100 B are not over 0.40")
	}
}
