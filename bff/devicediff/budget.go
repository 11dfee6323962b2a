package devicediff

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
)

// MiniBudget is the device adaptation rule for the mini program: the mini
// cards of an answer weigh no more than this fraction of the web cards of
// the same videos. The design states it card by card, which no adapter can
// promise: a mini card's size is its own content's, and a web card with a
// short description and small counts can be light enough to break any
// ratio. Weighed over the answer, what a mini-program downloads, it holds
// with room (docs/ARCHITECTURE.md, "Device adaptation"); the heaviest
// cards are still reported.
const MiniBudget = 0.40

// MinBudgetCards is the fewest cards the budget holds an answer to, on
// each device: weighed over one or two cards it is the card-by-card rule
// again, and a page of a single light web card breaks it (a mini page
// asked for 6 cards can hold 5, hidden archives dropped, and is held to
// it). A smaller answer is weighed and reported, not failed; fewer paired
// cards than this weigh the whole answers' averages instead.
const MinBudgetCards = 3

// ListKeys are the main lists of the scenes, in the order they are looked
// for: the feed's cards, the video page's related videos, a user's archives.
func ListKeys() []string { return []string{"cards", "related", "archives"} }

// Card is one card of a body: its aid (when it has one) and its size,
// compactly encoded.
type Card struct {
	Aid    int64
	HasAid bool
	Bytes  int
}

// CardSet is what a body holds for the budget: its main list and, on the
// video page, the video itself.
type CardSet struct {
	List  string // which of ListKeys the body has, "" for none
	Items []Card // the main list's cards
	Video *Card  // the video page's own video
}

// All returns every card the budget applies to.
func (s CardSet) All() []Card {
	out := append([]Card(nil), s.Items...)
	if s.Video != nil {
		out = append(out, *s.Video)
	}
	return out
}

// ExtractCards finds the main list (and the video) in a scene body.
func ExtractCards(body []byte) (CardSet, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return CardSet{}, fmt.Errorf("body is not a JSON object: %w", err)
	}
	var s CardSet
	for _, key := range ListKeys() {
		raw, ok := top[key]
		if !ok {
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return CardSet{}, fmt.Errorf("%s is not an array: %w", key, err)
		}
		s.List = key
		for _, e := range elems {
			c, err := newCard(e)
			if err != nil {
				return CardSet{}, fmt.Errorf("%s[]: %w", key, err)
			}
			s.Items = append(s.Items, c)
		}
		break
	}
	if raw, ok := top["video"]; ok {
		c, err := newCard(raw)
		if err != nil {
			return CardSet{}, fmt.Errorf("video: %w", err)
		}
		s.Video = &c
	}
	return s, nil
}

func newCard(raw json.RawMessage) (Card, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return Card{}, err
	}
	c := Card{Bytes: buf.Len()}
	var head struct {
		Aid *int64 `json:"aid"`
	}
	// A card that is not an object, or whose aid is not a number, is still
	// a card: it is counted and weighed, just never paired.
	if json.Unmarshal(raw, &head) == nil && head.Aid != nil {
		c.Aid, c.HasAid = *head.Aid, true
	}
	return c, nil
}

// AvgBytes is the mean card size, 0 for no cards.
func AvgBytes(cards []Card) float64 {
	if len(cards) == 0 {
		return 0
	}
	total := 0
	for _, c := range cards {
		total += c.Bytes
	}
	return float64(total) / float64(len(cards))
}

// Pair is a mini card and the web card with the same aid.
type Pair struct {
	Aid       int64
	Mini, Web int
	Ratio     float64
}

// Budget is the outcome of the mini card budget check.
type Budget struct {
	Limit float64
	// Pairs are the mini cards whose aid the web also has, in mini order.
	Pairs []Pair
	// MiniBytes and WebBytes are the pairs' cards, each device's summed.
	MiniBytes, WebBytes int
	// MiniCards and WebCards count each answer's cards; with fewer than
	// MinBudgetCards pairs, the average mini card is weighed against the
	// average web card.
	MiniCards, WebCards int
	MiniAvg, WebAvg     float64
	// Ratio is the pairs' mini bytes over their web bytes, or the ratio of
	// the averages.
	Ratio    float64
	averaged bool
	// Skipped says why nothing was compared ("" when something was).
	Skipped string
}

// CheckBudget weighs mini cards against web cards: the cards both devices
// show (paired by aid) together, otherwise on average.
func CheckBudget(mini, web []Card, limit float64) Budget {
	b := Budget{Limit: limit, MiniCards: len(mini), WebCards: len(web), MiniAvg: AvgBytes(mini), WebAvg: AvgBytes(web)}
	webByAid := map[int64]int{}
	for _, c := range web {
		if _, dup := webByAid[c.Aid]; c.HasAid && !dup {
			webByAid[c.Aid] = c.Bytes
		}
	}
	for _, c := range mini {
		w, ok := webByAid[c.Aid]
		if !c.HasAid || !ok || w == 0 {
			continue
		}
		b.Pairs = append(b.Pairs, Pair{Aid: c.Aid, Mini: c.Bytes, Web: w, Ratio: float64(c.Bytes) / float64(w)})
		b.MiniBytes += c.Bytes
		b.WebBytes += w
	}
	switch {
	case len(b.Pairs) >= MinBudgetCards:
		b.Ratio = float64(b.MiniBytes) / float64(b.WebBytes)
	case len(mini) == 0:
		b.Skipped = "no mini cards"
	case len(web) == 0:
		b.Skipped = "no web cards"
	default:
		b.Ratio, b.averaged = b.MiniAvg/b.WebAvg, true
	}
	return b
}

// Averaged reports whether the answers' averages were compared (fewer
// than MinBudgetCards cards paired by aid).
func (b Budget) Averaged() bool { return b.averaged }

// TooFew reports whether an answer holds too few cards to be held to the
// budget (MinBudgetCards): it is weighed and reported, never over.
func (b Budget) TooFew() bool {
	return b.Skipped == "" && min(b.MiniCards, b.WebCards) < MinBudgetCards
}

// Over reports whether the check found a breach.
func (b Budget) Over() bool { return b.Skipped == "" && !b.TooFew() && b.Ratio > b.Limit }

// Heaviest returns at most n pairs, the heaviest mini card for its web card
// first.
func (b Budget) Heaviest(n int) []Pair {
	out := slices.Clone(b.Pairs)
	slices.SortStableFunc(out, func(x, y Pair) int { return cmp.Compare(y.Ratio, x.Ratio) })
	return out[:min(n, len(out))]
}

// Err says how the budget was broken, nil within it.
func (b Budget) Err() error {
	if !b.Over() {
		return nil
	}
	if b.Averaged() {
		return fmt.Errorf("mini card budget: the average mini card is %.2f of the average web card (%.0f B vs %.0f B, %d and %d cards, %d paired by aid), over the %.2f budget",
			b.Ratio, b.MiniAvg, b.WebAvg, b.MiniCards, b.WebCards, len(b.Pairs), b.Limit)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "mini card budget: %d mini cards weigh %.2f of their web cards (%d B vs %d B), over the %.2f budget; heaviest:",
		len(b.Pairs), b.Ratio, b.MiniBytes, b.WebBytes, b.Limit)
	for _, p := range b.Heaviest(3) {
		fmt.Fprintf(&buf, " aid %d at %.2f (%d B vs %d B);", p.Aid, p.Ratio, p.Mini, p.Web)
	}
	return fmt.Errorf("%s", bytes.TrimSuffix(buf.Bytes(), []byte(";")))
}
