package request_test

import (
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"mosaic/bff/device"
	"mosaic/bff/request"
)

var ps = device.PageSize{Default: 10, Max: 20}

// app is a paged route of a device with builds, where every input counts.
var app = request.Shape{Paged: true, PageSize: ps, Builds: true}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		headers map[string]string
		remote  string
		want    request.Params
		param   string // the parameter a 400 names; "" for success
	}{
		{"defaults", "", nil, "127.0.0.1:1", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi}}, ""},
		{"clamped", "page=3&ps=99", nil, "127.0.0.1:1", request.Params{Page: 3, PS: 20, View: device.View{Network: device.WiFi}}, ""},
		{"all headers", "", map[string]string{"X-User-Id": "42", "X-Network": "3G", "Accept-Language": "en;q=0.5, zh-TW", "X-Client-Build": "7000000", "X-Color": "canary-2"}, "[::1]:5",
			request.Params{Page: 1, PS: 10, Viewer: 42, Color: "canary-2", View: device.View{Network: device.G3, Lang: device.TraditionalChinese, Build: 7000000}}, ""},
		{"english", "", map[string]string{"Accept-Language": "en-US,zh;q=0.1"}, "127.0.0.1:1", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi}}, ""},
		{"untrusted viewer ignored", "", map[string]string{"X-User-Id": "42"}, "10.1.2.3:4", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi}}, ""},
		{"untrusted bad viewer ignored too", "", map[string]string{"X-User-Id": "x"}, "10.1.2.3:4", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi}}, ""},
		{"ps beyond int64 is clamped too", "ps=99999999999999999999999", nil, "127.0.0.1:1", request.Params{Page: 1, PS: 20, View: device.View{Network: device.WiFi}}, ""},
		{"page beyond int64", "page=99999999999999999999999", nil, "", request.Params{}, "page"},
		{"page zero", "page=0", nil, "", request.Params{}, "page"},
		{"page huge", "page=10001", nil, "", request.Params{}, "page"},
		{"ps words", "ps=ten", nil, "", request.Params{}, "ps"},
		{"ps negative", "ps=-1", nil, "", request.Params{}, "ps"},
		{"ps empty", "ps=", nil, "", request.Params{}, "ps"},
		{"page empty", "page=&ps=5", nil, "", request.Params{}, "page"},
		{"page padded", "page=02", nil, "", request.Params{}, "page"},
		{"ps padded", "ps=05", nil, "", request.Params{}, "ps"},
		{"ps signed", "ps=+5", nil, "", request.Params{}, "ps"},
		{"one bad language does not hide the rest", "", map[string]string{"Accept-Language": "zh-cmn-Hans, en;q=abc"}, "", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi, Lang: device.Chinese}}, ""},
		{"network", "", map[string]string{"X-Network": "lte"}, "", request.Params{}, "X-Network"},
		{"build", "", map[string]string{"X-Client-Build": "0"}, "", request.Params{}, "X-Client-Build"},
		{"malformed language falls back to English", "", map[string]string{"Accept-Language": "this is not;q=a language"}, "", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi}}, ""},
		{"color", "", map[string]string{"X-Color": "Blue"}, "", request.Params{}, "X-Color"},
		{"viewer", "", map[string]string{"X-User-Id": "0"}, "127.0.0.1:9", request.Params{}, "X-User-Id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/web/v1/feed?"+tt.query, nil)
			r.RemoteAddr = tt.remote
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			got, err := request.Parse(r, app, request.Loopback())
			var re *request.Error
			switch {
			case tt.param == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.param != "" && (!errors.As(err, &re) || re.Param != tt.param):
				t.Fatalf("err = %v, want one naming %s", err, tt.param)
			case tt.param == "" && got != tt.want:
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// withScenario is app's shape in mock mode, where X-Mock-Scenario is read.
var withScenario = request.Shape{Paged: true, PageSize: ps, Builds: true, Scenario: true}

// Ambiguous input is a 400 naming the parameter or header, not a silent
// first-value-wins.
func TestParseRefusesAmbiguousInput(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		headers [][2]string // in order; a name twice is a repeated header
		param   string
	}{
		{"repeated ps", "ps=5&ps=abc", nil, "ps"},
		{"repeated ps, same value", "ps=5&ps=5", nil, "ps"},
		{"repeated page", "page=1&page=2", nil, "page"},
		{"repeated page, one empty", "page=&page=2", nil, "page"},
		{"repeated page, escaped name", "page=1&p%61ge=2", nil, "page"},
		{"malformed escape in page", "page=%ZZ", nil, "page"},
		{"truncated escape in ps", "ps=1%2", nil, "ps"},
		{"malformed escape in a name", "pa%ZZge=1", nil, "query"},
		{"malformed escape in an unnamed value", "x=%ZZ&page=2", nil, "x"},
		{"malformed escape, empty name", "=%ZZ", nil, "query"},
		{"semicolon separator", "page=2;ps=5", nil, "query"},
		{"repeated X-User-Id", "", [][2]string{{"X-User-Id", "42"}, {"X-User-Id", "43"}}, "X-User-Id"},
		{"repeated X-User-Id, same value", "", [][2]string{{"X-User-Id", "42"}, {"x-user-id", "42"}}, "X-User-Id"},
		{"repeated X-Network", "", [][2]string{{"X-Network", "wifi"}, {"X-Network", "2g"}}, "X-Network"},
		{"repeated X-Client-Build", "", [][2]string{{"X-Client-Build", "7000000"}, {"X-Client-Build", "9000000"}}, "X-Client-Build"},
		{"repeated X-Color", "", [][2]string{{"X-Color", "red"}, {"X-Color", "blue"}}, "X-Color"},
		{"repeated X-Mock-Scenario", "", [][2]string{{"X-Mock-Scenario", "stat=unavailable"}, {"X-Mock-Scenario", ""}}, "X-Mock-Scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/app/v1/feed", nil)
			r.URL.RawQuery = tt.query
			r.RemoteAddr = "127.0.0.1:1"
			for _, h := range tt.headers {
				r.Header.Add(h[0], h[1])
			}
			_, err := request.Parse(r, withScenario, request.Loopback())
			var re *request.Error
			if !errors.As(err, &re) || re.Param != tt.param || re.Detail == "" {
				t.Fatalf("err = %v, want one naming %s", err, tt.param)
			}
		})
	}
}

// What a route does not read may repeat: parameters it does not take,
// headers of a device or mode that does not read them, X-User-Id from an
// untrusted peer (ignored as a whole). Accept-Language is a list: its
// repeated fields are one list, and the best-weighted tag across them wins.
func TestParseIgnoresRepeatsOfWhatItDoesNotRead(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
	r.URL.RawQuery = "utm=a&utm=b&page=2"
	r.RemoteAddr = "10.0.0.1:1"
	for _, h := range [][2]string{
		{"X-User-Id", "1"}, {"X-User-Id", "2"},
		{"X-Client-Build", "1"}, {"X-Client-Build", "2"},
		{"X-Mock-Scenario", "a"}, {"X-Mock-Scenario", "b"},
		{"Accept-Language", "en;q=0.1"}, {"Accept-Language", "zh-CN"},
	} {
		r.Header.Add(h[0], h[1])
	}
	p, err := request.Parse(r, request.Shape{Paged: true, PageSize: ps}, request.Loopback())
	want := request.Params{Page: 2, PS: 10, View: device.View{Network: device.WiFi, Lang: device.Chinese}}
	if err != nil || p != want {
		t.Fatalf("got %+v, %v; want %+v", p, err, want)
	}
	// The video page takes no page: a repeated one is not its business,
	// but a query that does not decode is refused on every route.
	r.URL.RawQuery = "page=1&page=2"
	if _, err := request.Parse(r, request.Shape{PageSize: ps}, request.Loopback()); err != nil {
		t.Fatalf("video page refused a repeated page: %v", err)
	}
	r.URL.RawQuery = "page=%ZZ"
	if _, err := request.Parse(r, request.Shape{PageSize: ps}, request.Loopback()); err == nil {
		t.Fatal("video page accepted a malformed query")
	}
}

func TestQuery(t *testing.T) {
	got, err := request.Query("a=1&&b=x+y%21&c&d=4&d=5", "a", "b", "c", "e")
	want := map[string]string{"a": "1", "b": "x y!", "c": ""}
	if err != nil || !maps.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	// As many pieces as url.ParseQuery takes, and one more, which it
	// refuses, answering no parameter at all.
	for n, ok := range map[int]bool{10000: true, 10001: false} {
		raw := strings.Repeat("&", n-1)
		_, err := request.Query(raw, "a")
		_, perr := url.ParseQuery(raw)
		if (err == nil) != ok || (perr == nil) != ok {
			t.Errorf("%d pieces: Query %v, url.ParseQuery %v; want both to accept it: %v", n, err, perr, ok)
		}
	}
}

// Routes ignore the inputs they do not take: page and ps on the video page,
// X-Client-Build on devices without builds.
func TestParseIgnoresWhatTheRouteDoesNotTake(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/web/v1/videos/8?page=abc&ps=0", nil)
	r.Header.Set("X-Client-Build", "abc")
	p, err := request.Parse(r, request.Shape{PageSize: ps}, request.Loopback())
	if err != nil || p.View.Build != 0 {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestTrust(t *testing.T) {
	tr := request.Loopback()
	for addr, want := range map[string]bool{"127.0.0.1:80": true, "127.9.9.9:1": true, "[::1]:443": true, "[::ffff:127.0.0.1]:1": true, "10.0.0.1:80": false, "garbage": false, "": false} {
		if got := tr.Allows(addr); got != want {
			t.Errorf("Allows(%q) = %v", addr, got)
		}
	}
}

// FuzzParse: whatever the query and headers, Parse returns either valid
// params within the device's bounds or an error naming a parameter; and it
// never accepts ambiguous input. repeat's bits 0-4 send a header twice, bit
// 5 sends the query twice (so each parameter in it repeats).
func FuzzParse(f *testing.F) {
	f.Add("page=2&ps=5", "42", "4g", "zh-CN", "7000000", "red", uint8(0))
	f.Add("ps=%ff%00", "-1", "WIFI", "*;q=0.1", "", "", uint8(0))
	f.Add("page=99999999999999999999999", "1e3", "", "en-US,en;q=0.9,zh;q=0.8", "8000000", "a-b-c", uint8(0))
	f.Add("page=2", "42", "4g", "zh-CN", "7000000", "red", uint8(1<<5))
	f.Add("utm=1", "42", "4g", "zh-CN", "7000000", "red", uint8(1))
	f.Add("", "42", "4g", "zh-CN", "7000000", "red", uint8(0b11110))
	f.Add("page=%ZZ", "", "", "", "", "", uint8(0))
	f.Add("page=1;ps=2", "", "", "", "", "", uint8(0))
	f.Add(strings.Repeat("&", 5000), "", "", "", "", "", uint8(1<<5)) // 10,001 pieces: past url.ParseQuery's bound
	f.Fuzz(func(t *testing.T, query, user, network, lang, build, color string, repeat uint8) {
		if repeat&(1<<5) != 0 {
			query += "&" + query
		}
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/app/v1/feed", RawQuery: query}, Header: http.Header{}, RemoteAddr: "127.0.0.1:1"}
		for i, h := range [][2]string{{"X-User-Id", user}, {"X-Network", network}, {"Accept-Language", lang}, {"X-Client-Build", build}, {"X-Color", color}} {
			if h[1] == "" {
				continue
			}
			r.Header.Add(h[0], h[1])
			if repeat&(1<<i) != 0 {
				r.Header.Add(h[0], h[1])
			}
		}
		p, err := request.Parse(r, app, request.Loopback())
		if err != nil {
			var re *request.Error
			if !errors.As(err, &re) || re.Param == "" || re.Detail == "" {
				t.Fatalf("error %v does not name a parameter", err)
			}
			return
		}
		checkAccepted(t, r, p)
	})
}

func checkBounds(t *testing.T, p request.Params) {
	t.Helper()
	if p.Page < 1 || p.Page > request.MaxPage || p.PS < 1 || p.PS > ps.Max || p.Viewer < 0 || p.View.Build < 0 {
		t.Fatalf("out of bounds: %+v", p)
	}
	if _, ok := device.ParseNetwork(string(p.View.Network)); !ok {
		t.Fatalf("network %q", p.View.Network)
	}
}

// checkAccepted: params Parse accepted are within the device's bounds; the
// query decodes as url.ParseQuery reads it, with no repeated page or ps,
// and page is the one given; no header but the Accept-Language list came
// twice.
func checkAccepted(t *testing.T, r *http.Request, p request.Params) {
	t.Helper()
	checkBounds(t, p)
	query := r.URL.RawQuery
	ref, qerr := url.ParseQuery(query)
	if qerr != nil {
		t.Fatalf("accepted %q, which does not decode: %v", query, qerr)
	}
	for _, k := range []string{"page", "ps"} {
		if len(ref[k]) > 1 {
			t.Fatalf("accepted a repeated %s in %q", k, query)
		}
	}
	if v := ref.Get("page"); v != "" {
		if n, _ := strconv.Atoi(v); n != p.Page {
			t.Fatalf("page %d from %q", p.Page, query)
		}
	}
	for k, v := range r.Header {
		if len(v) > 1 && k != "Accept-Language" {
			t.Fatalf("accepted %s twice: %q", k, v)
		}
	}
}

// A path ID has one spelling: no sign, no leading zero.
func TestPathIDHasOneSpelling(t *testing.T) {
	for in, detail := range map[string]string{
		"0008": `must be written without leading zeros, got "0008"`,
		"00":   `must be written without leading zeros, got "00"`,
		"+8":   `must be a positive integer, got "+8"`,
		"0":    `must be a positive integer, got "0"`,
		"8":    "",
		"10":   "",
	} {
		n, err := request.PathID("aid", in)
		var re *request.Error
		switch {
		case detail == "" && err != nil:
			t.Errorf("PathID(%q): %v", in, err)
		case detail != "" && (!errors.As(err, &re) || re.Param != "aid" || re.Detail != detail):
			t.Errorf("PathID(%q) = %d, %v; want aid: %s", in, n, err, detail)
		}
	}
}

// An ID past int64 is still a positive integer: the error says how large
// one may be, not that it is not a number.
func TestIDSaysWhatWasWrong(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		detail string // "" for success
	}{
		{"1", 1, ""},
		{"9223372036854775807", 9223372036854775807, ""},
		{"9223372036854775808", 0, `must be at most 9223372036854775807, got "9223372036854775808"`},
		{"99999999999999999999999", 0, `must be at most 9223372036854775807, got "99999999999999999999999"`},
		{"0", 0, `must be a positive integer, got "0"`},
		{"-1", 0, `must be a positive integer, got "-1"`},
		{"-99999999999999999999999", 0, `must be a positive integer, got "-99999999999999999999999"`},
		{"1e3", 0, `must be a positive integer, got "1e3"`},
		{"", 0, `must be a positive integer, got ""`},
	}
	for _, tt := range tests {
		got, err := request.ID("aid", tt.in, false)
		var re *request.Error
		switch {
		case tt.detail == "" && (err != nil || got != tt.want):
			t.Errorf("ID(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		case tt.detail != "" && (!errors.As(err, &re) || re.Param != "aid" || re.Detail != tt.detail):
			t.Errorf("ID(%q) error %v, want aid: %s", tt.in, err, tt.detail)
		}
	}
}
