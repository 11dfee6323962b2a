package device_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"mosaic/bff/device"
	"mosaic/bff/scene"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	replyv1 "mosaic/clients/reply/v1"
)

func TestDisplay(t *testing.T) {
	tests := []struct {
		n      int64
		zh, en string
	}{
		{0, "0", "0"},
		{999, "999", "999"},
		{1000, "1000", "1K"},
		{1234, "1234", "1.2K"},
		{9999, "9999", "9.9K"},
		{10000, "1万", "10K"},
		{12345, "1.2万", "12.3K"},
		{99999, "9.9万", "99.9K"},
		{999999, "99.9万", "999.9K"},
		{1000000, "100万", "1M"},
		{3400000, "340万", "3.4M"},
		{99999999, "9999.9万", "99.9M"},
		{100000000, "1亿", "100M"},
		{340000000, "3.4亿", "340M"},
		{1200000000, "12亿", "1.2B"},
		{-12345, "-1.2万", "-12.3K"},
		{math.MaxInt64, "92233720368.5亿", "9223372036.8B"},
		{math.MinInt64, "-92233720368.5亿", "-9223372036.8B"},
	}
	for _, tt := range tests {
		if got := device.Display(tt.n, device.Chinese); got != tt.zh {
			t.Errorf("Display(%d, zh) = %q, want %q", tt.n, got, tt.zh)
		}
		hant := strings.NewReplacer("万", "萬", "亿", "億").Replace(tt.zh)
		if got := device.Display(tt.n, device.TraditionalChinese); got != hant {
			t.Errorf("Display(%d, zh-Hant) = %q, want %q", tt.n, got, hant)
		}
		if got := device.Display(tt.n, device.English); got != tt.en {
			t.Errorf("Display(%d, en) = %q, want %q", tt.n, got, tt.en)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"", 80, ""},
		{"short", 80, "short"},
		{"abcdef", 3, "abc"},
		{"视频简介很长", 4, "视频简介"},
		{"a视b频", 2, "a视"},
		{"exactly", 7, "exactly"},
		{"anything", 0, ""},
		{"family 👨\u200d👩\u200d👧", 8, "family "}, // the ZWJ sequence is 5 runes
		{"family 👨\u200d👩\u200d👧", 12, "family 👨\u200d👩\u200d👧"}, // and fits whole
		{"flag 🇨🇳🇯🇵", 6, "flag "},                                // half a flag is another letter
		{"flag 🇨🇳🇯🇵", 8, "flag 🇨🇳"},
		{"cafe\u0301s", 4, "caf"}, // é as e and a combining accent
		{"cafe\u0301s", 5, "cafe\u0301"},
		{"👍🏽ok", 1, ""},    // a skin tone is part of the thumb
		{"a\r\nb", 2, "a"}, // CR LF is one cluster
		{"🎉🎉", 1, "🎉"},
		{"あい", 1, "あ"},
		{"今天\u302a好", 2, "今"}, // an ideographic tone mark is part of its character
	}
	for _, tt := range tests {
		if got := device.Truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestImageURL(t *testing.T) {
	const u = "http://i0.hdslb.example/bfs/archive/1.jpg"
	const https = "https://i0.hdslb.example/bfs/archive/1.jpg"
	tests := []struct {
		url  string
		img  device.Image
		want string
	}{
		{u, device.Image{W: 320, H: 180, Q: 50, Format: "webp"}, https + "@320w_180h_50q.webp"},
		{u, device.Image{W: 640, H: 360, Format: "webp"}, https + "@640w_360h.webp"},
		{u, device.Image{W: 480, H: 270, Format: "jpg"}, https + "@480w_270h.jpg"},
		{"https://x/1.jpg", device.Image{W: 1, H: 2, Format: "jpg"}, "https://x/1.jpg@1w_2h.jpg"},
		{"", device.Image{W: 1, H: 2, Format: "jpg"}, ""},
		{"//cdn/1.jpg", device.Image{W: 1, H: 2, Format: "webp"}, "https://cdn/1.jpg@1w_2h.webp"},
		{"ftp://cdn/1.jpg", device.Image{W: 1, H: 2, Format: "webp"}, ""},
		{"https://cdn/a b.jpg", device.Image{W: 1, H: 2, Format: "jpg"}, ""},
		{"javascript:alert(1)", device.Image{W: 1, H: 2, Format: "jpg"}, ""},
		// Without a path the suffix would become the host: dropped.
		{"https://cdn.example", device.Image{W: 1, H: 2, Format: "jpg"}, ""},
		{"https://cdn.example/", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn.example/@1w_2h.jpg"},
		{"https://cdn.example?v=2", device.Image{W: 1, H: 2, Format: "jpg"}, ""},
		// The suffix ends the path: before a query, and a fragment, which
		// never reaches the CDN, goes.
		{"https://cdn/1.jpg?v=2", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1.jpg@1w_2h.jpg?v=2"},
		{"https://cdn/1.jpg#top", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1.jpg@1w_2h.jpg"},
		{"https://cdn/1.jpg?v=2#top", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1.jpg@1w_2h.jpg?v=2"},
		{"https://cdn/1.jpg?at=a@b", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1.jpg@1w_2h.jpg?at=a@b"},
		// A rendition already named is replaced, not stacked.
		{"https://cdn/1.jpg@100w_100h.webp", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1.jpg@1w_2h.jpg"},
		{"https://cdn/a@b/1.jpg", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/a@b/1.jpg@1w_2h.jpg"},
		{"https://cdn/1.jpg@100w_100h_50q.jpg?v=2", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1.jpg@1w_2h.jpg?v=2"},
		// An '@' that starts no rendition is the file's name.
		{"https://cdn/logo@2x.png", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/logo@2x.png@1w_2h.jpg"},
		{"https://cdn/1@100w_100h.", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1@100w_100h.@1w_2h.jpg"},
		{"https://cdn/1@100w_h.jpg", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1@100w_h.jpg@1w_2h.jpg"},
		{"https://cdn/1.jpg@100w_100h.JPG", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1.jpg@1w_2h.jpg"},
		{"https://cdn/1.jpg@100w_100h.jp2", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1.jpg@1w_2h.jpg"},
		{"https://cdn/1@100w_100h.2x", device.Image{W: 1, H: 2, Format: "jpg"}, "https://cdn/1@100w_100h.2x@1w_2h.jpg"},
	}
	for _, tt := range tests {
		if got := device.ImageURL(tt.url, tt.img); got.String() != tt.want {
			t.Errorf("ImageURL(%q, %+v) = %q, want %q", tt.url, tt.img, got, tt.want)
		}
	}
}

func TestCoversForNetwork(t *testing.T) {
	c := device.Covers{Fast: device.Image{W: 3}, Mid: device.Image{W: 2}, Slow: device.Image{W: 1}}
	for n, want := range map[device.Network]int{device.WiFi: 3, device.G5: 3, device.G4: 2, device.G3: 1, device.G2: 1} {
		if got := c.For(n).W; got != want {
			t.Errorf("For(%s) = %d, want %d", n, got, want)
		}
	}
}

func TestLegacy(t *testing.T) {
	for build, want := range map[int64]bool{0: false, 1: true, 7999999: true, 8000000: false, 8000001: false} {
		if got := (device.View{Build: build}).Legacy(); got != want {
			t.Errorf("Legacy(build %d) = %v", build, got)
		}
	}
}

// Times are UTC on a server whose zone is not (time.Local is set for the
// test; no test of this package runs in parallel), and within RFC 3339's
// four-digit years whatever a downstream sent.
func TestRFC3339IsUTC(t *testing.T) {
	local := time.Local
	time.Local = time.FixedZone("CST", 8*60*60)
	t.Cleanup(func() { time.Local = local })
	for unix, want := range map[int64]string{
		0:             "1970-01-01T00:00:00Z",
		1738725909:    "2025-02-05T03:25:09Z",
		253402300799:  "9999-12-31T23:59:59Z",
		253402300800:  "9999-12-31T23:59:59Z",
		math.MaxInt64: "9999-12-31T23:59:59Z",
		-62167219200:  "0000-01-01T00:00:00Z",
		math.MinInt64: "0000-01-01T00:00:00Z",
	} {
		if got := device.RFC3339(unix); got != want {
			t.Errorf("RFC3339(%d) = %q, want %q", unix, got, want)
		}
	}
}

// A face that is no safe URL is left out of an optional field, as an absent
// profile's is; required fields keep the key, empty.
func TestUnsafeFacesAreLeftOutOrEmpty(t *testing.T) {
	for _, tc := range []struct {
		owner *accountv1.Profile
		want  string
	}{
		{nil, `{"mid":2}`},
		{&accountv1.Profile{Mid: 2, Name: "n", Face: "javascript:alert(1)"}, `{"mid":2,"name":"n"}`},
		{&accountv1.Profile{Mid: 2, Name: "n", Face: "http://cdn.example/f.jpg"}, `{"mid":2,"name":"n","face":"https://cdn.example/f.jpg"}`},
	} {
		c := scene.Card{Archive: &archivev1.Archive{Aid: 1, OwnerMid: 2}, Owner: tc.owner}
		if raw, _ := json.Marshal(device.Owner(c)); string(raw) != tc.want {
			t.Errorf("owner %v: %s, want %s", tc.owner, raw, tc.want)
		}
		r := scene.Reply{Reply: &replyv1.Reply{Mid: 2}, Member: tc.owner}
		if raw, _ := json.Marshal(device.Member(r)); string(raw) != tc.want {
			t.Errorf("member %v: %s, want %s", tc.owner, raw, tc.want)
		}
	}
	u := device.NativeUser(scene.User{Profile: &accountv1.Profile{Mid: 2, Face: "data:image/png;base64,AA=="}}, device.View{})
	if raw, _ := json.Marshal(u); !strings.Contains(string(raw), `"face":""`) {
		t.Errorf("user header: %s, want an empty face", raw)
	}
}
