package bff_test

import (
	"encoding/json"
	"io"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/app"
	"mosaic/bff/device"
	"mosaic/bff/mini"
	"mosaic/bff/pad"
	"mosaic/bff/scene"
	"mosaic/bff/web"
	"mosaic/dto"
	"mosaic/mocks/dataset"
)

// benchScenes builds device-neutral scenes of realistic size from the test
// dataset: a 20-card feed, a video page with 20 related and 10 replies, a
// user page with 20 uploads.
func benchScenes(b *testing.B) (scene.Feed, scene.Video, scene.User) {
	data := dataset.Shared(apitest.Seed)
	card := func(aid int64) scene.Card {
		a, _ := data.Archive(aid)
		st, _ := data.Stat(aid)
		p, _ := data.Profile(a.GetOwnerMid())
		return scene.Card{Archive: a, Stat: st, Owner: p, Relation: data.Relation(42, a.GetOwnerMid()), Reason: "hot"}
	}
	aids := data.VisibleAids()[:21]
	var feed scene.Feed
	for _, aid := range aids[1:] {
		feed.Cards = append(feed.Cards, card(aid))
	}
	feed.Page, feed.PS = 1, 20
	video := scene.Video{Card: card(aids[0]), Related: feed.Cards}
	for _, r := range data.HotReplies(aids[0], 10) {
		p, _ := data.Profile(r.GetMid())
		video.Replies = append(video.Replies, scene.Reply{Reply: r, Member: p})
	}
	p, _ := data.Profile(1)
	c, _ := data.FollowerCount(1)
	user := scene.User{Profile: p, Counts: c, Relation: data.Relation(42, 1), Page: 1, PS: 20, Total: 100, Archives: feed.Cards}
	return feed, video, user
}

// BenchmarkAdapt measures each device's adapters alone (pure functions),
// and adapt+encode, the HTTP layer's per-request work after assembly.
func BenchmarkAdapt(b *testing.B) {
	feed, video, user := benchScenes(b)
	v := device.View{Network: device.G4, Lang: device.Chinese}
	adapters := []struct {
		name  string
		adapt func() any
	}{
		{"feed/app", func() any { return app.Adapt().Feed(feed, v) }},
		{"feed/pad", func() any { return pad.Adapt().Feed(feed, v) }},
		{"feed/web", func() any { return web.Adapt().Feed(feed, v) }},
		{"feed/mini", func() any { return mini.Adapt().Feed(feed, v) }},
		{"video/app", func() any { return app.Adapt().Video(video, v) }},
		{"video/pad", func() any { return pad.Adapt().Video(video, v) }},
		{"video/web", func() any { return web.Adapt().Video(video, v) }},
		{"video/mini", func() any { return mini.Adapt().Video(video, v) }},
		{"user/app", func() any { return app.Adapt().User(user, v) }},
		{"user/pad", func() any { return pad.Adapt().User(user, v) }},
		{"user/web", func() any { return web.Adapt().User(user, v) }},
		{"user/mini", func() any { return mini.Adapt().User(user, v) }},
	}
	for _, a := range adapters {
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.adapt()
			}
		})
		b.Run(a.name+"+encode", func(b *testing.B) {
			b.ReportAllocs()
			enc := json.NewEncoder(io.Discard)
			for b.Loop() {
				if err := enc.Encode(dto.Encoded(a.adapt())); err != nil { // as endpoint.writeJSON
					b.Fatal(err)
				}
			}
		})
	}
}
