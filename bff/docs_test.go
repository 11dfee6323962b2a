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
