package devices_test

import (
	"encoding/json"
	"math"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"mosaic/bff/app"
	"mosaic/bff/device"
	"mosaic/bff/mini"
	"mosaic/bff/openapi"
	"mosaic/bff/pad"
	"mosaic/bff/scene"
	"mosaic/bff/web"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/urlcheck"
)

// FuzzAdapters: whatever the downstreams say, every device's adapters
// produce bodies that match their schema in api.openapi.yaml, and every URL
// in them is https and safe (urlcheck): covers and owners' faces from
// scheme + host + path, reply members' and the user header's faces from the
// raw input, whatever it is.
func FuzzAdapters(f *testing.F) {
	spec, err := openapi.Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("title", "desc 视频简介", "i0.hdslb.example/1.jpg", "name", "sign", true, int64(12345), int64(-1), int64(1700000000), int64(7000000), uint8(2), true)
	f.Add("", "", "", "", "", false, int64(0), int64(1<<62), int64(-5), int64(0), uint8(0), false)
	f.Add("t", "d", "i0.hdslb.example/1.jpg", "n", "s", true, int64(1), int64(2), int64(253402300800), int64(0), uint8(2), true) // past year 9999
	f.Add("t", "d", "i0.hdslb.example/1.jpg", "n", "s", true, int64(1), int64(2), int64(math.MinInt64), int64(0), uint8(2), true)
	f.Add("\xff\xfe", strings.Repeat("長", 81), "a b/c?d=e#f", "<script>", "&", true, int64(999999999999), int64(99999), int64(0), int64(8000000), uint8(4), true)
	f.Add("t", "d", "!//cdn.example/1.jpg", "n", "s", false, int64(1), int64(2), int64(3), int64(0), uint8(1), false)
	f.Add("t", "d", "!ftp://cdn.example/1 .jpg", "n", "s", true, int64(1), int64(2), int64(3), int64(1), uint8(3), true)
	f.Add("t", "d", "!HTTP://cdn.example/1.jpg", "n", "s", false, int64(1), int64(2), int64(3), int64(0), uint8(0), true)
	f.Add("t", "d", "!JaVaScRiPt:alert(1)//", "n", "s", true, int64(1), int64(2), int64(3), int64(7000000), uint8(1), false)
	f.Add("t", "d", "!https://cdn.example", "n", "s", true, int64(1), int64(2), int64(3), int64(0), uint8(2), false)
	// A query stays after the rendition, a fragment goes, an old rendition
	// is replaced, an '@' of the file's name is kept.
	f.Add("t", "d", "!https://cdn.example/1.jpg?v=2#top", "n", "s", true, int64(1), int64(2), int64(3), int64(0), uint8(3), false)
	f.Add("t", "d", "!https://cdn.example/1.jpg@100w_100h.webp?v=1", "n", "s", true, int64(1), int64(2), int64(3), int64(7000000), uint8(4), false)
	f.Add("t", "d", "!https://cdn.example/logo@2x.png", "n", "s", true, int64(1), int64(2), int64(3), int64(0), uint8(0), true)
	f.Add("t", "d", "!https://cdn.example/1.jpg@100w_100h.JPG?a[0]=1", "n", "s", true, int64(1), int64(2), int64(3), int64(0), uint8(2), false)
	f.Fuzz(func(t *testing.T, title, desc, path, name, sign string, https bool, view, like, when, build int64, network uint8, zh bool) {
		// Any scheme at all: the adapters must drop what no client can load.
		scheme := "http://"
		if https {
			scheme = "https://"
		}
		cover := ""
		if path != "" {
			cover = scheme + "i0.hdslb.example/" + url.PathEscape(path)
			if len(path) > 3 && path[0] == '!' {
				cover = path[1:] // raw: other schemes, protocol-relative, junk
			}
		}
		// The reply member's and the user's faces are the raw input.
		anyFace := &accountv1.Profile{Mid: 3, Name: name, Face: path, Sign: sign, Email: "private@example.com"}
		c := scene.Card{
			Archive:  &archivev1.Archive{Aid: 1, Title: title, Desc: desc, Cover: cover, DurationS: like, Pubdate: when, OwnerMid: 2, Tags: []string{title}},
			Reason:   sign,
			Stat:     &statv1.Stat{View: view, Danmaku: like, Reply: view, Favorite: like, Coin: view, Share: like, Like: view},
			Owner:    &accountv1.Profile{Mid: 2, Name: name, Face: cover, Sign: sign, Email: "private@example.com"},
			Relation: &relationv1.Relation{Following: https},
		}
		feed := scene.Feed{Page: 1, PS: 10, Cards: []scene.Card{c, {Archive: c.Archive}}}
		video := scene.Video{Card: c, Related: feed.Cards, Replies: []scene.Reply{
			{Reply: &replyv1.Reply{Rpid: 3, Mid: 2, Message: desc, Like: like, Ctime: when}, Member: c.Owner},
			{Reply: &replyv1.Reply{Rpid: 4, Mid: 3, Message: title, Like: view, Ctime: when}, Member: anyFace},
			{Reply: &replyv1.Reply{Mid: 9}},
		}}
		user := scene.User{Profile: anyFace, Counts: &relationv1.FollowerCount{Follower: view, Following: like}, Page: 1, PS: 10, Archives: feed.Cards}
		nets := []device.Network{device.WiFi, device.G5, device.G4, device.G3, device.G2}
		v := device.View{Network: nets[int(network)%len(nets)], Build: max(build, 0)}
		if zh {
			v.Lang = device.Chinese
		}
		appSchema := "App"
		if v.Legacy() {
			appSchema = "AppLegacy"
		}
		// The pad's desc is the whole grapheme clusters of the archive's
		// that fit in 80 runes, as uniseg segments it from the start.
		padFeed := pad.Adapt().Feed(feed, v)
		if len(padFeed.Cards) == 0 {
			t.Fatal("the pad feed dropped a visible card")
		}
		if got, want := padFeed.Cards[0].Desc, clustersWithin(desc, 80); got != want {
			t.Fatalf("pad desc of %q is %q, want %q", desc, got, want)
		}
		bodies := map[string]any{
			appSchema + "Feed": app.Adapt().Feed(feed, v), appSchema + "VideoPage": app.Adapt().Video(video, v), appSchema + "UserPage": app.Adapt().User(user, v),
			"PadFeed": padFeed, "PadVideoPage": pad.Adapt().Video(video, v), "PadUserPage": pad.Adapt().User(user, v),
			"WebFeed": web.Adapt().Feed(feed, v), "WebVideoPage": web.Adapt().Video(video, v), "WebUserPage": web.Adapt().User(user, v),
			"MiniFeed": mini.Adapt().Feed(feed, v), "MiniVideoPage": mini.Adapt().Video(video, v), "MiniUserPage": mini.Adapt().User(user, v),
		}
		for schema, body := range bodies {
			raw, err := json.Marshal(body)
			if err != nil {
				t.Fatalf("%s: %v", schema, err)
			}
			if strings.Contains(string(raw), "private@example.com") {
				t.Fatalf("%s leaks the email: %s", schema, raw)
			}
			var w urlcheck.Walk
			if w.Body(t, schema, raw); len(w.Bad) > 0 {
				t.FailNow()
			}
			var decoded any
			if err := json.Unmarshal(raw, &decoded); err != nil {
				t.Fatal(err)
			}
			if err := spec.Doc.Components.Schemas[schema].Value.VisitJSON(decoded); err != nil {
				t.Fatalf("%s does not match its schema: %v\n%s", schema, err, raw)
			}
		}
	})
}

// clustersWithin is the longest prefix of s made of whole grapheme clusters
// with at most n runes: device.Truncate's definition, without its shortcut.
func clustersWithin(s string, n int) string {
	kept, runes, state := 0, 0, -1
	for rest := s; rest != ""; {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if runes += utf8.RuneCountInString(cluster); runes > n {
			break
		}
		kept += len(cluster)
	}
	return s[:kept]
}
