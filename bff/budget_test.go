package bff_test

import (
	"encoding/json"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/device"
	"mosaic/bff/devicediff"
	"mosaic/bff/mini"
	"mosaic/bff/scene"
	"mosaic/bff/web"
	"mosaic/mocks/dataset"
)

// The mini cards of an answer weigh at most 40% of the web cards of the
// same videos (devicediff.MiniBudget says why an answer, not a card):
// checked over every visible archive of the test world, in pages of the
// mini's default and largest sizes, on every network and language. The
// heaviest single card is logged, as the QA tools report it.
func TestMiniCardBudget(t *testing.T) {
	data := dataset.Shared(apitest.Seed)
	var f scene.Feed
	for _, aid := range data.VisibleAids() {
		a, _ := data.Archive(aid)
		st, _ := data.Stat(aid)
		p, _ := data.Profile(a.GetOwnerMid())
		f.Cards = append(f.Cards, scene.Card{Archive: a, Reason: "hot", Stat: st, Owner: p})
	}
	sizes := mini.Device().PageSize
	for _, n := range []device.Network{device.WiFi, device.G5, device.G4, device.G3, device.G2} {
		for lang := range langs {
			v := device.View{Network: n, Lang: lang}
			miniCards, webCards := weigh(t, mini.Adapt().Feed(f, v).Cards), weigh(t, web.Adapt().Feed(f, v).Cards)
			for _, ps := range []int{sizes.Default, sizes.Max} {
				worst := devicediff.Budget{}
				for i := 0; i < len(miniCards); i += ps {
					end := min(i+ps, len(miniCards))
					b := devicediff.CheckBudget(miniCards[i:end], webCards[i:end], devicediff.MiniBudget)
					if len(b.Pairs) != end-i {
						t.Fatalf("%s %v: %d of %d cards paired by aid", n, lang, len(b.Pairs), end-i)
					}
					if err := b.Err(); err != nil {
						t.Errorf("%s %v, a page of %d from card %d: %v", n, lang, ps, i, err)
					}
					if b.Ratio > worst.Ratio {
						worst = b
					}
				}
				t.Logf("%s %s, pages of %d: the heaviest weighs %.3f", n, langs[lang], ps, worst.Ratio)
			}
			all := devicediff.CheckBudget(miniCards, webCards, devicediff.MiniBudget)
			over := 0
			for _, p := range all.Pairs {
				if p.Ratio > devicediff.MiniBudget {
					over++
				}
			}
			t.Logf("%s %s, every card: %.3f together; the heaviest card %.3f, %d of %d over %.2f alone",
				n, langs[lang], all.Ratio, all.Heaviest(1)[0].Ratio, over, len(all.Pairs), devicediff.MiniBudget)
		}
	}
}

var langs = map[device.Lang]string{device.Chinese: "zh", device.English: "en"}

// weigh measures cards as the QA tools do.
func weigh[C any](t *testing.T, cards []C) []devicediff.Card {
	t.Helper()
	out := make([]devicediff.Card, len(cards))
	for i, c := range cards {
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Aid int64 }
		json.Unmarshal(raw, &head)
		out[i] = devicediff.Card{Aid: head.Aid, HasAid: true, Bytes: len(raw)}
	}
	return out
}
