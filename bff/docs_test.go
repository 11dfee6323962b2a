package bff_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mosaic"
	"mosaic/bff"
	"mosaic/bff/endpoint"
)

// The public listener serves the API reference and the spec it renders.
func TestPublicServesDocs(t *testing.T) {
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI, nil, nil)
	for path, want := range map[string]string{
		"/docs":                      "swagger-ui-bundle.js",
		"/docs/":                     "swagger-ui-bundle.js",
		"/docs/swagger-ui-bundle.js": "SwaggerUIBundle",
		"/docs/swagger-ui.css":       ".swagger-ui",
		"/openapi.yaml":              "openapi: 3.",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s: %d, body without %q", path, rec.Code, want)
		}
	}
}

// The reference's assets carry a quoted ETag, which a conditional GET gets
// a 304 for, and Vary once.
func TestDocsAssetsRevalidate(t *testing.T) {
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI, nil, nil)
	send := func(method, inm, accept string) *http.Response {
		r := httptest.NewRequest(method, "/docs/swagger-ui.css", nil)
		if inm != "" {
			r.Header.Set("If-None-Match", inm)
		}
		if accept != "" {
			r.Header.Set("Accept-Encoding", accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result()
	}
	for _, accept := range []string{"", "gzip"} {
		full := send(http.MethodGet, "", accept)
		tag := full.Header.Get("ETag")
		if full.StatusCode != http.StatusOK || len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			t.Fatalf("Accept-Encoding %q: %d, ETag %q, want a quoted tag", accept, full.StatusCode, tag)
		}
		if vary := full.Header.Values("Vary"); len(vary) != 1 || vary[0] != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q, want Accept-Encoding once", accept, vary)
		}
		if head := send(http.MethodHead, "", accept); head.Header.Get("ETag") != tag {
			t.Errorf("Accept-Encoding %q: HEAD ETag %q, GET's %q", accept, head.Header.Get("ETag"), tag)
		}
		for inm, want := range map[string]int{tag: http.StatusNotModified, "W/" + tag: http.StatusNotModified, `"other", ` + tag: http.StatusNotModified,
			"*": http.StatusNotModified, `"other"`: http.StatusOK, strings.Trim(tag, `"`): http.StatusOK} {
			resp := send(http.MethodGet, inm, accept)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != want || (want == http.StatusNotModified && (len(body) != 0 || resp.Header.Get("ETag") != tag)) {
				t.Errorf("Accept-Encoding %q, If-None-Match %s: %d, ETag %q, %d body bytes; want %d", accept, inm, resp.StatusCode, resp.Header.Get("ETag"), len(body), want)
			}
		}
	}
}
