package bff_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic"
	"mosaic/bff"
	"mosaic/bff/endpoint"
)

// A shed request counts as its scene's 503 in bff_http_requests_total,
// read off its path as the router reads it, without allocating: shedding
// must stay cheap. A path no scene route serves counts nowhere.
func TestAShedRequestCountsAsItsScenes503(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := endpoint.NewMetrics(reg)
	bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{Metrics: m}, mosaic.OpenAPI, nil, nil)
	for _, tc := range []struct{ path, series string }{
		{"/web/v1/feed", "web/feed"},
		{"/mini/v1/videos/42", "mini/video"},
		{"/app/v1/users/7", "app/user"},
		{"/pad/v1/users/7?ps=3", "pad/user"},
		{"/web/v1/feedx", ""},
		{"/web/v1/videos/", ""},
		{"/web/v1/videos/42/x", ""},
		{"/tv/v1/feed", ""},
		{"/openapi.yaml", ""},
		{"/web/v1/notifications", ""},
		{"/web/v1/fe%65d", ""},    // the router reads the escaped path: a 404
		{"POST /web/v1/feed", ""}, // a 405
		{"HEAD /web/v1/feed", "web/feed"},
	} {
		before := shed503s(t, reg)
		method, path, ok := strings.Cut(tc.path, " ")
		if !ok {
			method, path = http.MethodGet, tc.path
		}
		r := httptest.NewRequest(method, path, nil)
		if n := testing.AllocsPerRun(100, func() { m.Shed(r) }); n != 0 {
			t.Errorf("%s: %v allocations per shed request, want 0", tc.path, n)
		}
		after := shed503s(t, reg)
		for series, n := range after {
			want := 0.0
			if series == tc.series {
				want = 101 // AllocsPerRun runs once more, to warm up
			}
			if got := n - before[series]; got != want {
				t.Errorf("%s: %s 503s went up by %v, want %v", tc.path, series, got, want)
			}
		}
		if _, ok := after[tc.series]; tc.series != "" && !ok {
			t.Errorf("%s: no %s series", tc.path, tc.series)
		}
	}
}

// shed503s are the 503s of bff_http_requests_total by "device/scene".
func shed503s(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "bff_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["code"] == "503" {
				out[l["device"]+"/"+l["scene"]] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}
