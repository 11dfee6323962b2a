package bff_test

import (
	"encoding/json"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/device"
	"mosaic/bff/mini"
	"mosaic/bff/scene"
	"mosaic/bff/web"
	"mosaic/mocks/dataset"
)

// A mini card carries no more than 40% of a web card's bytes: checked card by
// card over the first thousand visible archives of the test dataset, on the
// network and language that make the mini card largest.
func TestMiniCardBudget(t *testing.T) {
	data := dataset.Shared(apitest.Seed)
	aids := data.VisibleAids()[:1000]
	var f scene.Feed
	for _, aid := range aids {
		a, _ := data.Archive(aid)
		st, _ := data.Stat(aid)
		p, _ := data.Profile(a.GetOwnerMid())
		f.Cards = append(f.Cards, scene.Card{Archive: a, Reason: "hot", Stat: st, Owner: p})
	}
	v := device.View{Network: device.WiFi, Lang: device.Chinese}
	webCards := web.Adapt().Feed(f, v).Cards
	miniCards := mini.Adapt().Feed(f, v).Cards
	worst := 0.0
	for i := range f.Cards {
		w, _ := json.Marshal(webCards[i])
		m, _ := json.Marshal(miniCards[i])
		ratio := float64(len(m)) / float64(len(w))
		worst = max(worst, ratio)
		if ratio > 0.40 {
			t.Errorf("aid %d: mini card %d bytes is %.0f%% of web's %d", aids[i], len(m), 100*ratio, len(w))
		}
	}
	t.Logf("largest mini/web card ratio: %.1f%%", 100*worst)
}
