package bff_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"mosaic"
	"mosaic/bff"
	"mosaic/bff/devices"
	"mosaic/bff/docs"
	"mosaic/bff/endpoint"
	"mosaic/bff/openapi"
	"mosaic/bff/request"
	"mosaic/bff/specmock"
)

// The spec and the router agree: every route served is documented, and
// every documented operation is served, in mock mode and out of it (where
// the operations not built yet answer 501). HEAD is served wherever GET is,
// and only there; it is HTTP's, not an operation of the spec.
func TestEveryRouteIsInTheSpecAndBack(t *testing.T) {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range spec.Doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(documented)
	for _, mockMode := range []bool{true, false} {
		mocks, err := specmock.New(spec.Doc, 1, mockMode, request.Loopback())
		if err != nil {
			t.Fatal(err)
		}
		h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, mocks)
		var served, heads, gets []string
		err = chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
			if strings.HasPrefix(route, docs.Path) {
				return nil // the reference page renders the spec; it is no operation of it
			}
			route = strings.TrimSuffix(route, "/")
			switch method {
			case http.MethodHead:
				heads = append(heads, route)
				return nil
			case http.MethodGet:
				gets = append(gets, route)
			}
			served = append(served, method+" "+route)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(served)
		if len(served) < 14 {
			t.Fatalf("only %d routes served: %v", len(served), served)
		}
		for _, r := range served {
			if !slices.Contains(documented, r) {
				t.Errorf("mock mode %v: served but not in api.openapi.yaml: %s", mockMode, r)
			}
		}
		for _, r := range documented {
			if !slices.Contains(served, r) {
				t.Errorf("mock mode %v: in api.openapi.yaml but not served: %s", mockMode, r)
			}
		}
		slices.Sort(heads)
		slices.Sort(gets)
		if !slices.Equal(heads, gets) {
			t.Errorf("mock mode %v: HEAD routes %v, want exactly the GET routes %v", mockMode, heads, gets)
		}
	}
}

// A path under a device that serves no such route names the routes the
// device does serve, as mounted (a typo in the scene, or a missing ID), and
// not the devices, which the client got right.
func TestNotFoundUnderADeviceNamesItsRoutes(t *testing.T) {
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, nil)
	for _, name := range devices.Names() {
		for _, path := range []string{"/" + name, "/" + name + "/v1/video/1", "/" + name + "/v2/feed"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			var p struct{ Detail string }
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusNotFound {
				t.Fatalf("%s: %d %s: %v", path, rec.Code, rec.Body, err)
			}
			want := "no route " + path + ": " + name + " serves /" + name + "/v1/feed, /" + name + "/v1/users/{mid} and /" + name + "/v1/videos/{aid}"
			if p.Detail != want {
				t.Errorf("%s: detail %q, want %q", path, p.Detail, want)
			}
		}
	}
}

// A path under no device names the registry's devices, every one of them.
func TestNotFoundNamesEveryDevice(t *testing.T) {
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tv/v1/feed", nil))
	var p struct{ Detail string }
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusNotFound {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	names := devices.Names()
	want := "devices are " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	if !strings.HasSuffix(p.Detail, want) {
		t.Errorf("detail %q, want it to end %q", p.Detail, want)
	}
}

// The spec and the reference read no query, but one that does not decode
// is a 400 there too, as on every route.
func TestUndecodableQueryIsRefusedOnEveryRoute(t *testing.T) {
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, nil)
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/openapi.yaml?x=%ZZ", "/openapi.yaml?a=1;b=2", "/docs?x=%ZZ"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %q, want a 400 problem", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		if strings.HasPrefix(path, "/openapi.yaml") { // /docs is no operation of the spec
			if err := spec.Validate(req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml?v=2", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/openapi.yaml?v=2: %d, want 200", rec.Code)
	}
}

// A path with percent-escapes is matched as sent, and its 404 quotes it so:
// quoting the decoded path said /web/v1/feed had no route.
func TestNotFoundQuotesThePathAsSent(t *testing.T) {
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, nil)
	for path, prefix := range map[string]string{
		"/%77eb/v1/feed":   "no route /%77eb/v1/feed: devices are ",
		"/web/v1/%66eed":   "no route /web/v1/%66eed: web serves ",
		"/web%2fv1%2ffeed": "no route /web%2fv1%2ffeed: devices are ",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var p struct{ Detail string }
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusNotFound {
			t.Fatalf("%s: %d %s: %v", path, rec.Code, rec.Body, err)
		}
		if !strings.HasPrefix(p.Detail, prefix) || !strings.HasSuffix(p.Detail, "percent-escapes included") {
			t.Errorf("%s: detail %q, want it to start %q and say the path is matched as sent", path, p.Detail, prefix)
		}
	}
}

// Every request gets one access line, whose request id is the one the
// client got back: a 404 or 405 under a device ran the edge twice, inside
// the device group and again around the router's own not-found handler,
// and logged two lines with two ids.
func TestOneAccessLinePerRequest(t *testing.T) {
	var logs bytes.Buffer // the access line is written before ServeHTTP returns
	h := bff.NewServer(slog.New(slog.NewJSONHandler(&logs, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, nil)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/web/v1/nope"},
		{http.MethodDelete, "/app/v1/videos/8"},
		{http.MethodGet, "/foo/bar"},
		{http.MethodPost, "/openapi.yaml"},
		{http.MethodGet, "/openapi.yaml"},
	} {
		logs.Reset()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		id := rec.Header().Get("X-Request-Id")
		var lines []string
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if strings.Contains(line, `"msg":"request"`) {
				lines = append(lines, line)
			}
		}
		if len(lines) != 1 || id == "" || !strings.Contains(lines[0], `"`+id+`"`) {
			t.Errorf("%s %s (%d, X-Request-Id %q): %d access lines, want one with that id:\n%s", tc.method, tc.path, rec.Code, id, len(lines), strings.Join(lines, "\n"))
		}
	}
}

// A request id the server makes is 16 hex digits, every time: a log
// parser or a support form may rely on its shape, and one in sixteen came
// out shorter when its leading digit was a zero.
func TestMadeRequestIDsHaveOneLength(t *testing.T) {
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, nil)
	for range 256 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
		if id := rec.Header().Get("X-Request-Id"); len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("made X-Request-Id %q, want 16 lowercase hex digits", id)
		}
	}
}
