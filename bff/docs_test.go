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
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, nil)
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

// The reference's assets carry a quoted ETag, the one of the bytes sent
// (the asset server's own gzip file has its own), which a conditional GET
// gets a 304 for and If-Match is held to; Vary once; ranges are not served.
func TestDocsAssetsRevalidate(t *testing.T) {
	h := bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{}, mosaic.OpenAPI(), nil, nil)
	send := func(method, accept string, headers ...string) *http.Response {
		r := httptest.NewRequest(method, "/docs/swagger-ui.css", nil)
		if accept != "" {
			r.Header.Set("Accept-Encoding", accept)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result()
	}
	tags := map[string]string{}
	for _, accept := range []string{"", "gzip", "zstd", "br"} {
		full := send(http.MethodGet, accept)
		tag := full.Header.Get("ETag")
		if full.StatusCode != http.StatusOK || len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			t.Fatalf("Accept-Encoding %q: %d, ETag %q, want a quoted tag", accept, full.StatusCode, tag)
		}
		tags[full.Header.Get("Content-Encoding")+" "+tag] = accept
		if vary := full.Header.Values("Vary"); len(vary) != 1 || vary[0] != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary %q, want Accept-Encoding once", accept, vary)
		}
		if head := send(http.MethodHead, accept); head.Header.Get("ETag") != tag {
			t.Errorf("Accept-Encoding %q: HEAD ETag %q, GET's %q", accept, head.Header.Get("ETag"), tag)
		}
		for _, tc := range []struct {
			headers []string
			want    int
		}{
			{[]string{"If-None-Match", tag}, http.StatusNotModified},
			{[]string{"If-None-Match", "W/" + tag}, http.StatusNotModified},
			{[]string{"If-None-Match", `"other", ` + tag}, http.StatusNotModified},
			{[]string{"If-None-Match", "*"}, http.StatusNotModified},
			{[]string{"If-None-Match", tag, "Range", "bytes=0-9"}, http.StatusNotModified},
			{[]string{"If-None-Match", `"other"`}, http.StatusOK},
			{[]string{"If-None-Match", strings.Trim(tag, `"`)}, http.StatusOK}, // unquoted: malformed
			{[]string{"If-Match", tag}, http.StatusOK},
			{[]string{"If-Match", `"other"`}, http.StatusPreconditionFailed},
			{[]string{"If-Match", "W/" + tag}, http.StatusPreconditionFailed}, // strong comparison
			{[]string{"Range", "bytes=0-9"}, http.StatusOK},
			{[]string{"If-Range", tag, "Range", "bytes=0-9"}, http.StatusOK},
		} {
			resp := send(http.MethodGet, accept, tc.headers...)
			body, _ := io.ReadAll(resp.Body)
			switch {
			case resp.StatusCode != tc.want:
			case tc.want == http.StatusNotModified && (len(body) != 0 || resp.Header.Get("ETag") != tag):
			case tc.want == http.StatusOK && (len(body) < 1000 || resp.Header.Get("ETag") != tag):
			case tc.want == http.StatusPreconditionFailed && resp.Header.Get("Content-Type") != "application/problem+json":
			default:
				continue
			}
			t.Errorf("Accept-Encoding %q, %q: %d, ETag %q, %q, %d body bytes; want %d", accept, tc.headers, resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Content-Type"), len(body), tc.want)
		}
	}
	if len(tags) != 2 {
		t.Errorf("representations by coding and tag: %v, want the identity and the gzip one, each with its own tag", tags)
	}
}
