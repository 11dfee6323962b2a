package bff_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"mosaic/bff/app"
	"mosaic/bff/device"
	"mosaic/bff/devices"
	"mosaic/bff/mini"
	"mosaic/bff/pad"
	"mosaic/bff/scene"
	"mosaic/bff/web"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
)

// The adaptation table of docs/ARCHITECTURE.md ("Device adaptation"), one test per row, over the four
// devices' pure adapters.

// fixtureDesc is 100 runes, multi-byte ones across the 80-rune cut.
var fixtureDesc = strings.Repeat("abcdefghij", 7) + strings.Repeat("视频简介", 5) + strings.Repeat("xy", 5)

func fixture() scene.Feed {
	return scene.Feed{Page: 1, PS: 10, Cards: []scene.Card{{
		Archive: &archivev1.Archive{
			Aid: 1, Title: "t", Desc: fixtureDesc, Cover: "http://i0.hdslb.example/bfs/archive/1.jpg",
			DurationS: 61, Pubdate: 1700000000, OwnerMid: 9, Tags: []string{"a"},
		},
		Reason:   "hot",
		Stat:     &statv1.Stat{View: 123456, Danmaku: 340000000, Reply: 3, Favorite: 4, Coin: 5, Share: 6, Like: 1500},
		Owner:    &accountv1.Profile{Mid: 9, Name: "up", Face: "http://i0.hdslb.example/bfs/face/9.jpg", Email: "x@y.z"},
		Relation: &relationv1.Relation{Following: true},
	}}}
}

func fixtureVideo() scene.Video {
	c := fixture().Cards[0]
	return scene.Video{Card: c, Related: []scene.Card{c}, Replies: []scene.Reply{{
		Reply:  &replyv1.Reply{Rpid: 5, Mid: 9, Message: "m", Like: 23456, Ctime: 1700000000},
		Member: c.Owner,
	}}}
}

func fixtureUser() scene.User {
	c := fixture().Cards[0]
	return scene.User{
		Profile: c.Owner, Counts: &relationv1.FollowerCount{Follower: 340000000, Following: 1500},
		Relation: &relationv1.Relation{Following: true}, Page: 1, PS: 10, Total: 1, Archives: []scene.Card{c},
	}
}

// bodies adapts the fixtures of every scene for dev and returns the bodies
// as JSON values, keyed by scene.
func bodies(t *testing.T, dev string, v device.View) map[string]map[string]any {
	t.Helper()
	var feed, video, user any
	switch dev {
	case "app":
		feed, video, user = app.Adapt().Feed(fixture(), v), app.Adapt().Video(fixtureVideo(), v), app.Adapt().User(fixtureUser(), v)
	case "pad":
		feed, video, user = pad.Adapt().Feed(fixture(), v), pad.Adapt().Video(fixtureVideo(), v), pad.Adapt().User(fixtureUser(), v)
	case "web":
		feed, video, user = web.Adapt().Feed(fixture(), v), web.Adapt().Video(fixtureVideo(), v), web.Adapt().User(fixtureUser(), v)
	case "mini":
		feed, video, user = mini.Adapt().Feed(fixture(), v), mini.Adapt().Video(fixtureVideo(), v), mini.Adapt().User(fixtureUser(), v)
	default:
		t.Fatalf("no adapters of device %s here: add its case", dev)
	}
	out := map[string]map[string]any{}
	for name, body := range map[string]any{"feed": feed, "video": video, "user": user} {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		out[name] = m
	}
	return out
}

// cardsIn returns every card the scenes carry for dev: the feed's, the
// video itself, its related video and the user's upload. Each rule of the
// table must hold for all of them.
func cardsIn(t *testing.T, dev string, v device.View) map[string]map[string]any {
	t.Helper()
	b := bodies(t, dev, v)
	first := func(list any) map[string]any {
		l, _ := list.([]any)
		if len(l) != 1 {
			t.Fatalf("%s: want one item, got %v", dev, list)
		}
		return l[0].(map[string]any)
	}
	return map[string]map[string]any{
		"feed card":     first(b["feed"]["cards"]),
		"video":         b["video"]["video"].(map[string]any),
		"related video": first(b["video"]["related"]),
		"user upload":   first(b["user"]["archives"]),
	}
}

// card checks that a rule gives the same answer in every scene, and returns it.
func card(t *testing.T, dev string, v device.View) map[string]any {
	t.Helper()
	var want map[string]any
	for where, c := range cardsIn(t, dev, v) {
		if want == nil {
			want = c
			continue
		}
		if !reflect.DeepEqual(c, want) {
			t.Fatalf("%s: the %s is adapted differently from another scene's card:\n%v\n%v", dev, where, c, want)
		}
	}
	return want
}

func TestCoverByDeviceAndNetwork(t *testing.T) {
	// The fixture's cover is http: every device gets it upgraded.
	const https = "https://i0.hdslb.example/bfs/archive/1.jpg@"
	tests := []struct {
		dev   string
		net   device.Network
		want  string
		build int64
	}{
		{"app", device.WiFi, https + "640w_360h.webp", 0},
		{"app", device.G5, https + "640w_360h.webp", 0},
		{"app", device.G4, https + "480w_270h.webp", 0},
		{"app", device.G3, https + "320w_180h_50q.webp", 0},
		{"app", device.G2, https + "320w_180h_50q.webp", 0},
		{"pad", device.WiFi, https + "960w_540h.webp", 0},
		{"pad", device.G5, https + "960w_540h.webp", 0},
		{"pad", device.G4, https + "640w_360h.webp", 0},
		{"pad", device.G3, https + "480w_270h_50q.webp", 0},
		{"pad", device.G2, https + "480w_270h_50q.webp", 0},
		{"web", device.WiFi, https + "1280w_720h.webp", 0},
		{"web", device.G4, https + "1280w_720h.webp", 0},
		{"web", device.G2, https + "1280w_720h.webp", 0},
		{"mini", device.WiFi, https + "480w_270h.jpg", 0},
		{"mini", device.G5, https + "480w_270h.jpg", 0},
		{"mini", device.G4, https + "320w_180h.jpg", 0},
		{"mini", device.G3, https + "320w_180h_50q.jpg", 0},
		{"mini", device.G2, https + "320w_180h_50q.jpg", 0},
		// The legacy card of old app builds follows the network too.
		{"app", device.WiFi, https + "640w_360h.webp", 7000000},
		{"app", device.G4, https + "480w_270h.webp", 7000000},
		{"app", device.G2, https + "320w_180h_50q.webp", 7000000},
	}
	for _, tt := range tests {
		if got := card(t, tt.dev, device.View{Network: tt.net, Build: tt.build})["cover"]; got != tt.want {
			t.Errorf("%s (build %d) on %s: cover %v, want %s", tt.dev, tt.build, tt.net, got, tt.want)
		}
	}
}

func TestCountsByDeviceAndLanguage(t *testing.T) {
	tests := []struct {
		dev  string
		lang device.Lang
		path []string
		want any
	}{
		{"app", device.Chinese, []string{"stats", "view"}, map[string]any{"num": 123456.0, "text": "12.3万"}},
		{"app", device.English, []string{"stats", "danmaku"}, map[string]any{"num": 340000000.0, "text": "340M"}},
		{"app", device.Chinese, []string{"stats", "danmaku"}, map[string]any{"num": 340000000.0, "text": "3.4亿"}},
		{"pad", device.English, []string{"stats", "like"}, map[string]any{"num": 1500.0, "text": "1.5K"}},
		{"pad", device.Chinese, []string{"stats", "view"}, map[string]any{"num": 123456.0, "text": "12.3万"}},
		{"web", device.Chinese, []string{"stats", "view"}, 123456.0},
		{"web", device.English, []string{"stats", "danmaku"}, 340000000.0},
		{"mini", device.Chinese, []string{"view"}, "12.3万"},
		{"mini", device.TraditionalChinese, []string{"view"}, "12.3萬"},
		{"pad", device.TraditionalChinese, []string{"stats", "danmaku"}, map[string]any{"num": 340000000.0, "text": "3.4億"}},
		{"mini", device.English, []string{"view"}, "123.4K"},
	}
	for _, tt := range tests {
		if got := dig(card(t, tt.dev, device.View{Lang: tt.lang}), tt.path...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v %v = %v, want %v", tt.dev, tt.lang, tt.path, got, tt.want)
		}
	}
	// The legacy card's play_text follows the language too.
	for lang, want := range map[device.Lang]string{device.Chinese: "12.3万", device.TraditionalChinese: "12.3萬", device.English: "123.4K"} {
		if got := card(t, "app", device.View{Lang: lang, Build: 7000000})["play_text"]; got != want {
			t.Errorf("legacy app card in %v: play_text %v, want %s", lang, got, want)
		}
	}
}

// An old build does not read degraded: a card whose stats are missing
// shows no play count, rather than a false "0".
func TestLegacyCardWithoutStatsShowsNoCount(t *testing.T) {
	f := fixture()
	f.Cards[0].Stat = nil
	raw, _ := json.Marshal(app.Adapt().Feed(f, device.View{Build: 7000000, Lang: device.Chinese}))
	var body struct{ Cards []map[string]any }
	if err := json.Unmarshal(raw, &body); err != nil || len(body.Cards) != 1 {
		t.Fatalf("%s: %v", raw, err)
	}
	if c := body.Cards[0]; c["play"] != 0.0 || c["play_text"] != "" {
		t.Errorf("legacy card without stats: play %v, play_text %q, want 0 and empty (both required)", c["play"], c["play_text"])
	}
}

func TestStatsShownByDevice(t *testing.T) {
	tests := []struct {
		dev  string
		want []string
	}{
		{"app", []string{"danmaku", "view"}},
		{"pad", []string{"danmaku", "like", "view"}},
		{"web", []string{"coin", "danmaku", "favorite", "like", "reply", "share", "view"}},
	}
	for _, tt := range tests {
		stats, _ := card(t, tt.dev, device.View{})["stats"].(map[string]any)
		if got := keys(stats); !slices.Equal(got, tt.want) {
			t.Errorf("%s stats %v, want %v", tt.dev, got, tt.want)
		}
	}
	// mini shows the view count only, flat.
	c := card(t, "mini", device.View{})
	if _, ok := c["stats"]; ok || c["view"] == nil {
		t.Errorf("mini card %v: want a flat view and no stats", c)
	}
	for _, k := range []string{"danmaku", "like", "reply", "coin", "favorite", "share"} {
		if _, ok := c[k]; ok {
			t.Errorf("mini card has %s", k)
		}
	}
}

func TestDescByDevice(t *testing.T) {
	tests := []struct {
		dev  string
		want any // nil: absent
	}{
		{"app", nil},
		{"pad", strings.Repeat("abcdefghij", 7) + "视频简介视频简介视频"},
		{"web", fixtureDesc},
		{"mini", nil},
	}
	for _, tt := range tests {
		if got := card(t, tt.dev, device.View{})["desc"]; got != tt.want {
			t.Errorf("%s desc %q, want %q", tt.dev, got, tt.want)
		}
	}
}

func TestTimesByDevice(t *testing.T) {
	tests := []struct {
		dev  string
		want any
	}{
		{"app", 1700000000.0},
		{"pad", 1700000000.0},
		{"web", "2023-11-14T22:13:20Z"},
		{"mini", nil},
	}
	for _, tt := range tests {
		if got := card(t, tt.dev, device.View{})["pubdate"]; got != tt.want {
			t.Errorf("%s pubdate %v, want %v", tt.dev, got, tt.want)
		}
	}
}

func TestLegacyCardForOldAppBuilds(t *testing.T) {
	tests := []struct {
		dev    string
		build  int64
		legacy bool
	}{
		{"app", 0, false},
		{"app", 1, true},
		{"app", 7999999, true},
		{"app", 8000000, false},
		{"app", 9100000, false},
		{"pad", 7000000, false}, // the legacy card is the phone app's only
	}
	for _, tt := range tests {
		c := card(t, tt.dev, device.View{Build: tt.build, Lang: device.Chinese})
		_, nested := c["owner"]
		_, hasStats := c["stats"]
		if tt.legacy {
			want := map[string]any{"owner_name": "up", "owner_face": "https://i0.hdslb.example/bfs/face/9.jpg", "play": 123456.0, "play_text": "12.3万"}
			for k, v := range want {
				if c[k] != v {
					t.Errorf("%s build %d: %s = %v, want %v", tt.dev, tt.build, k, c[k], v)
				}
			}
			if nested || hasStats {
				t.Errorf("%s build %d: legacy card has nested owner or stats: %v", tt.dev, tt.build, c)
			}
		} else if !nested || !hasStats || c["owner_name"] != nil || c["play"] != nil {
			t.Errorf("%s build %d: want the nested card, got %v", tt.dev, tt.build, c)
		}
	}
}

// The fixture's cover and faces are http: every device, old app builds
// included, gets each of them upgraded to https, in every scene.
func TestEveryDeviceGetsHTTPS(t *testing.T) {
	for _, dev := range devices.Names() {
		for _, v := range []device.View{{}, {Build: 7000000}} {
			for scene, body := range bodies(t, dev, v) {
				raw, _ := json.Marshal(body)
				if strings.Contains(string(raw), "http://") {
					t.Errorf("%s %s (build %d) carries an http URL: %s", dev, scene, v.Build, raw)
				}
				if !strings.Contains(string(raw), "https://i0.hdslb.example/bfs/archive/1.jpg@") {
					t.Errorf("%s %s (build %d) lost the upgraded cover: %s", dev, scene, v.Build, raw)
				}
			}
		}
	}
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestRepliesByDevice(t *testing.T) {
	tests := []struct {
		dev  string
		lang device.Lang
		like any
		time any
	}{
		{"app", device.Chinese, map[string]any{"num": 23456.0, "text": "2.3万"}, 1700000000.0},
		{"pad", device.English, map[string]any{"num": 23456.0, "text": "23.4K"}, 1700000000.0},
		{"web", device.Chinese, 23456.0, "2023-11-14T22:13:20Z"},
		{"mini", device.Chinese, "2.3万", nil},
		{"mini", device.English, "23.4K", nil},
	}
	for _, tt := range tests {
		r := dig(bodies(t, tt.dev, device.View{Lang: tt.lang})["video"], "replies").([]any)[0].(map[string]any)
		if !reflect.DeepEqual(r["like"], tt.like) || r["ctime"] != tt.time {
			t.Errorf("%s %v reply: like %v ctime %v, want %v %v", tt.dev, tt.lang, r["like"], r["ctime"], tt.like, tt.time)
		}
		raw, _ := json.Marshal(r)
		if tt.dev == "mini" && strings.Contains(string(raw), "http://") {
			t.Errorf("mini reply carries http: %s", raw)
		}
	}
}

func TestUserHeaderByDevice(t *testing.T) {
	tests := []struct {
		dev  string
		lang device.Lang
		path []string
		want any
	}{
		{"app", device.Chinese, []string{"counts", "follower"}, map[string]any{"num": 340000000.0, "text": "3.4亿"}},
		{"pad", device.English, []string{"counts", "following"}, map[string]any{"num": 1500.0, "text": "1.5K"}},
		{"web", device.Chinese, []string{"counts", "follower"}, 340000000.0},
		{"mini", device.Chinese, []string{"follower"}, "3.4亿"},
		{"mini", device.English, []string{"follower"}, "340M"},
	}
	for _, tt := range tests {
		u := dig(bodies(t, tt.dev, device.View{Lang: tt.lang})["user"], "user").(map[string]any)
		if got := dig(u, tt.path...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v user %v = %v, want %v", tt.dev, tt.lang, tt.path, got, tt.want)
		}
		if face := u["face"].(string); face != "https://i0.hdslb.example/bfs/face/9.jpg" {
			t.Errorf("%s user face %q", tt.dev, face)
		}
		for _, private := range []string{"email", "phone", "birthday"} {
			if _, ok := u[private]; ok {
				t.Errorf("%s user carries %s", tt.dev, private)
			}
		}
	}
}

// An archive without tags gives the web an empty list, never null: the
// spec's tags is an array, and the mock world has no untagged archive to
// show it.
func TestTagsAreAListEvenWhenNone(t *testing.T) {
	f := fixture()
	f.Cards[0].Archive.Tags = nil
	raw, err := json.Marshal(web.Adapt().Feed(f, device.View{}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"tags":[]`) {
		t.Errorf("the web card of an untagged archive: %s, want \"tags\":[]", raw)
	}
}
