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
// checked over every visible archive of the test world, for every run of
// consecutive cards an answer can hold (devicediff.MinBudgetCards up to
// the mini's largest page), on every network and language. The heaviest
// single card is logged, as the QA tools report it.
func TestMiniCardBudget(t *testing.T) {
	if testing.Short() {
		// One goroutine, so the race run (-short) learns nothing from it,
		// and the detector makes its 4 s half a minute.
		t.Skip("weighs every card of the catalogue on every network and language (about 4 s)")
	}
	t.Parallel() // pure computation, beside the keepalive test's idle 35 s
	data := dataset.Shared(apitest.Seed)
	var f scene.Feed
	for _, aid := range data.VisibleAids() {
		a, _ := data.Archive(aid)
		st, _ := data.Stat(aid)
		p, _ := data.Profile(a.GetOwnerMid())
		f.Cards = append(f.Cards, scene.Card{Archive: a, Reason: "hot", Stat: st, Owner: p})
	}
	for _, n := range []device.Network{device.WiFi, device.G5, device.G4, device.G3, device.G2} {
		for lang := range langs {
			v := device.View{Network: n, Lang: lang}
			miniCards, webCards := weigh(t, mini.Adapt().Feed(f, v)), weigh(t, web.Adapt().Feed(f, v))
			// Prefix sums: bytes of cards [i, j) are sum[j] - sum[i].
			miniSum, webSum := make([]int, len(miniCards)+1), make([]int, len(webCards)+1)
			for i := range miniCards {
				miniSum[i+1], webSum[i+1] = miniSum[i]+miniCards[i].Bytes, webSum[i]+webCards[i].Bytes
			}
			worst, at, size := 0.0, 0, 0
			for ps := devicediff.MinBudgetCards; ps <= mini.Device().PageSize.Max; ps++ {
				for i := 0; i+ps <= len(miniCards); i++ {
					if r := float64(miniSum[i+ps]-miniSum[i]) / float64(webSum[i+ps]-webSum[i]); r > worst {
						worst, at, size = r, i, ps
					}
				}
			}
			b := devicediff.CheckBudget(miniCards[at:at+size], webCards[at:at+size], devicediff.MiniBudget)
			if len(b.Pairs) != size || b.TooFew() {
				t.Fatalf("%s %s: %d of %d cards paired by aid", n, langs[lang], len(b.Pairs), size)
			}
			if err := b.Err(); err != nil {
				t.Errorf("%s %s, the heaviest answer, %d cards from card %d: %v", n, langs[lang], size, at, err)
			}
			all := devicediff.CheckBudget(miniCards, webCards, devicediff.MiniBudget)
			over := 0
			for _, p := range all.Pairs {
				if p.Ratio > devicediff.MiniBudget {
					over++
				}
			}
			t.Logf("%s %s: the heaviest answer of %d to %d cards weighs %.3f; every card together %.3f; the heaviest card %.3f, %d of %d over %.2f alone",
				n, langs[lang], devicediff.MinBudgetCards, mini.Device().PageSize.Max, worst, all.Ratio, all.Heaviest(1)[0].Ratio, over, len(all.Pairs), devicediff.MiniBudget)
		}
	}
}

var langs = map[device.Lang]string{device.Chinese: "zh", device.English: "en"}

// weigh reads a feed's cards as the QA tools do (devicediff.ExtractCards).
func weigh(t *testing.T, feed any) []devicediff.Card {
	t.Helper()
	raw, err := json.Marshal(feed)
	if err != nil {
		t.Fatal(err)
	}
	set, err := devicediff.ExtractCards(raw)
	if err != nil {
		t.Fatal(err)
	}
	return set.Items
}
