package main

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// listKeys are the main lists of the scenes, in the order they are looked
// for: the feed's cards, the video page's related videos, a user's archives.
func listKeys() []string { return []string{"cards", "related", "archives"} }

// card is one card of a body: its aid (when it has one) and its size,
// compactly encoded.
type card struct {
	aid    int64
	hasAid bool
	bytes  int
}

// cardSet is what a body holds for the budget: its main list and, on the
// video page, the video itself.
type cardSet struct {
	list  string // which of listKeys the body has, "" for none
	items []card // the main list's cards
	video *card  // the video page's own video
}

// all returns every card the budget applies to.
func (s cardSet) all() []card {
	out := append([]card(nil), s.items...)
	if s.video != nil {
		out = append(out, *s.video)
	}
	return out
}

// extractCards finds the main list (and the video) in a scene body.
func extractCards(body []byte) (cardSet, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return cardSet{}, fmt.Errorf("body is not a JSON object: %w", err)
	}
	var s cardSet
	for _, key := range listKeys() {
		raw, ok := top[key]
		if !ok {
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return cardSet{}, fmt.Errorf("%s is not an array: %w", key, err)
		}
		s.list = key
		for _, e := range elems {
			c, err := newCard(e)
			if err != nil {
				return cardSet{}, fmt.Errorf("%s[]: %w", key, err)
			}
			s.items = append(s.items, c)
		}
		break
	}
	if raw, ok := top["video"]; ok {
		c, err := newCard(raw)
		if err != nil {
			return cardSet{}, fmt.Errorf("video: %w", err)
		}
		s.video = &c
	}
	return s, nil
}

func newCard(raw json.RawMessage) (card, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return card{}, err
	}
	c := card{bytes: buf.Len()}
	var head struct {
		Aid *int64 `json:"aid"`
	}
	// A card that is not an object, or whose aid is not a number, is still
	// a card: it is counted and weighed, just never paired.
	if json.Unmarshal(raw, &head) == nil && head.Aid != nil {
		c.aid, c.hasAid = *head.Aid, true
	}
	return c, nil
}

// avgBytes is the mean card size, 0 for no cards.
func avgBytes(cards []card) float64 {
	if len(cards) == 0 {
		return 0
	}
	total := 0
	for _, c := range cards {
		total += c.bytes
	}
	return float64(total) / float64(len(cards))
}

// pair is a mini card and the web card with the same aid.
type pair struct {
	aid        int64
	mini, web  int
	ratio      float64
	overBudget bool
}

// budgetCheck is the outcome of the mini card budget (DESIGN.md: a mini card
// carries no more than budget of a web card's bytes).
type budgetCheck struct {
	budget float64
	// pairs are the mini cards whose aid the web also has, in mini order.
	pairs []pair
	// With no pairs, the average mini card is weighed against the average
	// web card.
	miniAvg, webAvg float64
	// ratio is the worst pair's ratio, or the ratio of the averages.
	ratio float64
	// skipped says why nothing was compared ("" when something was).
	skipped string
}

// checkBudget weighs mini cards against web cards: pair by pair where both
// devices show the same aid, otherwise on average.
func checkBudget(mini, web []card, budget float64) budgetCheck {
	b := budgetCheck{budget: budget, miniAvg: avgBytes(mini), webAvg: avgBytes(web)}
	webByAid := map[int64]int{}
	for _, c := range web {
		if _, dup := webByAid[c.aid]; c.hasAid && !dup {
			webByAid[c.aid] = c.bytes
		}
	}
	for _, c := range mini {
		w, ok := webByAid[c.aid]
		if !c.hasAid || !ok || w == 0 {
			continue
		}
		p := pair{aid: c.aid, mini: c.bytes, web: w, ratio: float64(c.bytes) / float64(w)}
		p.overBudget = p.ratio > budget
		b.pairs = append(b.pairs, p)
		b.ratio = max(b.ratio, p.ratio)
	}
	if len(b.pairs) > 0 {
		return b
	}
	switch {
	case len(mini) == 0:
		b.skipped = "no mini cards"
	case len(web) == 0:
		b.skipped = "no web cards"
	default:
		b.ratio = b.miniAvg / b.webAvg
	}
	return b
}

// averaged reports whether the averages were compared (no common aids).
func (b budgetCheck) averaged() bool { return len(b.pairs) == 0 && b.skipped == "" }

// err names every breach, nil within budget.
func (b budgetCheck) err() error {
	if b.averaged() {
		if b.ratio > b.budget {
			return fmt.Errorf("mini card budget: the average mini card is %.2f of the average web card (%.0f B vs %.0f B), over the %.2f budget",
				b.ratio, b.miniAvg, b.webAvg, b.budget)
		}
		return nil
	}
	var over []pair
	for _, p := range b.pairs {
		if p.overBudget {
			over = append(over, p)
		}
	}
	if len(over) == 0 {
		return nil
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "mini card budget: %d of %d mini cards over %.2f of their web card:", len(over), len(b.pairs), b.budget)
	const shown = 5
	for i, p := range over {
		if i == shown {
			fmt.Fprintf(&buf, " and %d more;", len(over)-shown)
			break
		}
		fmt.Fprintf(&buf, " aid %d is %.2f (%d B vs %d B);", p.aid, p.ratio, p.mini, p.web)
	}
	return fmt.Errorf("%s", bytes.TrimSuffix(buf.Bytes(), []byte(";")))
}
