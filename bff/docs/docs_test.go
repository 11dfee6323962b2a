package docs_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"mosaic/bff/docs"
)

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// The page names the spec it renders and loads every script, style and icon
// from this server: a reference that needs a CDN breaks offline.
func TestPageLoadsOnlyLocalAssets(t *testing.T) {
	h := docs.Handler("/openapi.yaml")
	for _, path := range []string{docs.Path, docs.Path + "/"} {
		rec := get(t, h, path)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("GET %s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		page := rec.Body.String()
		if !strings.Contains(page, `"/openapi.yaml"`) {
			t.Errorf("GET %s does not point Swagger UI at /openapi.yaml", path)
		}
		refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
		if len(refs) < 3 {
			t.Fatalf("GET %s references %d assets, want the bundle, preset and stylesheet", path, len(refs))
		}
		for _, ref := range refs {
			if !strings.HasPrefix(ref[1], docs.Path+"/") {
				t.Errorf("GET %s loads %q, not an asset under %s/", path, ref[1], docs.Path)
				continue
			}
			asset := get(t, h, ref[1])
			body, _ := io.ReadAll(asset.Body)
			if asset.Code != http.StatusOK || len(body) < 100 {
				t.Errorf("asset %s: %d, %d bytes", ref[1], asset.Code, len(body))
			}
		}
	}
}

func TestUnknownAssetIsNotFound(t *testing.T) {
	rec := get(t, docs.Handler("/openapi.yaml"), docs.Path+"/nope.js")
	if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(rec.Body.String(), `"detail":"no file /docs/nope.js in the API reference"`) {
		t.Errorf("GET %s/nope.js: %d %q %s, want a 404 problem", docs.Path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

// The reference is read, not written to: other methods are a 405 problem.
func TestOnlyGETAndHEAD(t *testing.T) {
	h := docs.Handler("/openapi.yaml")
	for _, method := range []string{http.MethodPost, http.MethodDelete, http.MethodPut} {
		for _, path := range []string{docs.Path, docs.Path + "/swagger-ui.css"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
			if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s: %d, Allow %q, %q; want a 405 problem", method, path, rec.Code, rec.Header().Get("Allow"), rec.Header().Get("Content-Type"))
			}
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, docs.Path, nil))
	if rec.Code != http.StatusOK {
		t.Errorf("HEAD %s: %d", docs.Path, rec.Code)
	}
}

// The page says it is UTF-8 (swgui's own answer names no charset, and a
// browser may then guess) and is compressed for clients that take it, as
// its assets are.
func TestPageIsUTF8AndCompressed(t *testing.T) {
	h := docs.Handler("/openapi.yaml")
	identity := get(t, h, docs.Path+"/")
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r := httptest.NewRequest(method, docs.Path, nil)
		r.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || ct != "text/html; charset=utf-8" {
			t.Errorf("%s %s: %d %q, want 200 text/html; charset=utf-8", method, docs.Path, rec.Code, ct)
		}
		if vary := rec.Header().Values("Vary"); len(vary) != 1 || vary[0] != "Accept-Encoding" {
			t.Errorf("%s %s: Vary %q, want Accept-Encoding", method, docs.Path, vary)
		}
		if method == http.MethodHead {
			continue
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil || rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("GET %s with gzip: Content-Encoding %q, %v", docs.Path, rec.Header().Get("Content-Encoding"), err)
		}
		page, _ := io.ReadAll(zr)
		if string(page) != identity.Body.String() || identity.Header().Get("Content-Encoding") != "" {
			t.Errorf("the gzip page (%d bytes) is not the identity one (%d bytes)", len(page), identity.Body.Len())
		}
	}
}
