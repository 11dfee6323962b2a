package request_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
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
			request.Params{Page: 1, PS: 10, Viewer: 42, Color: "canary-2", View: device.View{Network: device.G3, Lang: device.Chinese, Build: 7000000}}, ""},
		{"english", "", map[string]string{"Accept-Language": "en-US,zh;q=0.1"}, "127.0.0.1:1", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi}}, ""},
		{"untrusted viewer ignored", "", map[string]string{"X-User-Id": "42"}, "10.1.2.3:4", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi}}, ""},
		{"untrusted bad viewer ignored too", "", map[string]string{"X-User-Id": "x"}, "10.1.2.3:4", request.Params{Page: 1, PS: 10, View: device.View{Network: device.WiFi}}, ""},
		{"ps beyond int64 is clamped too", "ps=99999999999999999999999", nil, "127.0.0.1:1", request.Params{Page: 1, PS: 20, View: device.View{Network: device.WiFi}}, ""},
		{"page beyond int64", "page=99999999999999999999999", nil, "", request.Params{}, "page"},
		{"page zero", "page=0", nil, "", request.Params{}, "page"},
		{"page huge", "page=10001", nil, "", request.Params{}, "page"},
		{"ps words", "ps=ten", nil, "", request.Params{}, "ps"},
		{"ps negative", "ps=-1", nil, "", request.Params{}, "ps"},
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
// params within the device's bounds or an error naming a parameter.
func FuzzParse(f *testing.F) {
	f.Add("page=2&ps=5", "42", "4g", "zh-CN", "7000000", "red")
	f.Add("ps=%ff%00", "-1", "WIFI", "*;q=0.1", "", "")
	f.Add("page=99999999999999999999999", "1e3", "", "en-US,en;q=0.9,zh;q=0.8", "8000000", "a-b-c")
	f.Fuzz(func(t *testing.T, query, user, network, lang, build, color string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/app/v1/feed", RawQuery: query}, Header: http.Header{}, RemoteAddr: "127.0.0.1:1"}
		for k, v := range map[string]string{"X-User-Id": user, "X-Network": network, "Accept-Language": lang, "X-Client-Build": build, "X-Color": color} {
			if v != "" {
				r.Header.Set(k, v)
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
		if p.Page < 1 || p.Page > request.MaxPage || p.PS < 1 || p.PS > ps.Max || p.Viewer < 0 || p.View.Build < 0 {
			t.Fatalf("out of bounds: %+v", p)
		}
		if _, ok := device.ParseNetwork(string(p.View.Network)); !ok {
			t.Fatalf("network %q", p.View.Network)
		}
	})
}
