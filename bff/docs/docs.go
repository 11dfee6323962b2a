// Package docs serves the interactive API reference on the public listener:
// Swagger UI rendering api.openapi.yaml. Its scripts, styles and icons are
// embedded in the binary (github.com/swaggest/swgui's v5emb), so the page
// works offline and behind firewalls: it loads nothing but this server's
// own /docs/ assets and the spec.
package docs

import (
	"net/http"
	"slices"
	"strings"

	"mosaic/bff/httpx"
	"mosaic/bff/problem"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// Path is where the reference is mounted; its assets live under Path + "/".
const Path = "/docs"

// Handler returns the reference page and its assets for requests under
// Path. specURL is where the browser fetches the OpenAPI document, a path on
// the same listener (the public one serves it at /openapi.yaml).
// It serves GET and HEAD only, and its errors are problems, as every other
// error of the listener is.
func Handler(specURL string) http.Handler {
	ui := swaggerUI(specURL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			problem.MethodNotAllowed(w, r)
			return
		}
		// The asset server compares If-None-Match with its unquoted tag
		// itself; the quoted one is evaluated here, on its way out.
		inm := r.Header.Values("If-None-Match")
		if len(inm) > 0 {
			r = r.Clone(r.Context())
			r.Header.Del("If-None-Match")
		}
		qw := &quotedETag{ResponseWriter: w, inm: inm}
		ui.ServeHTTP(&notFoundProblem{ResponseWriter: qw, path: r.URL.Path}, r)
		qw.finish()
	})
}

// quotedETag quotes the asset server's ETag (it sends `Etag: 32rpxkc3`, an
// invalid entity tag that no cache would use), answers 304 to an
// If-None-Match that holds it, and sends Vary once: the asset server and
// Compress each add Accept-Encoding.
type quotedETag struct {
	http.ResponseWriter
	inm         []string
	wrote       bool
	notModified bool
}

func (q *quotedETag) WriteHeader(code int) {
	if q.wrote {
		return
	}
	q.wrote = true
	h := q.ResponseWriter.Header()
	if tag := h.Get("Etag"); tag != "" && !strings.HasPrefix(tag, `"`) && !strings.HasPrefix(tag, `W/`) {
		h.Set("Etag", `"`+tag+`"`)
	}
	if vary := h["Vary"]; len(vary) > 1 {
		slices.Sort(vary) // the order of Vary's names means nothing
		h["Vary"] = slices.Compact(vary)
	}
	if code == http.StatusOK && len(q.inm) > 0 && h.Get("Etag") != "" && httpx.NoneMatch(q.inm, h.Get("Etag")) {
		q.notModified = true
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
			h.Del(k)
		}
		code = http.StatusNotModified
	}
	q.ResponseWriter.WriteHeader(code)
}

func (q *quotedETag) Write(b []byte) (int, error) {
	q.WriteHeader(http.StatusOK)
	if q.notModified {
		return len(b), nil
	}
	return q.ResponseWriter.Write(b)
}

// finish sends the header of an answer that wrote none (a HEAD).
func (q *quotedETag) finish() { q.WriteHeader(http.StatusOK) }

// Unwrap lets http.ResponseController reach the connection's writer.
func (q *quotedETag) Unwrap() http.ResponseWriter { return q.ResponseWriter }

func swaggerUI(specURL string) http.Handler {
	return v5emb.NewHandlerWithConfig(swgui.Config{
		Title:       "mosaic API",
		SwaggerJSON: specURL,
		BasePath:    Path + "/",
		SettingsUI: map[string]string{
			// Every operation listed on load, grouped by device tag, so a
			// frontend developer sees the whole API without clicking.
			"docExpansion": `"list"`,
			// Schemas shown: the response shapes are what frontends read
			// the reference for.
			"defaultModelsExpandDepth": "1",
			// Operations filterable by tag (app, pad, web, mini).
			"filter": "true",
		},
	})
}

// notFoundProblem turns the file server's plain-text 404 into a problem.
type notFoundProblem struct {
	http.ResponseWriter
	path     string
	replaced bool // the 404 was answered: drop the file server's body
}

func (n *notFoundProblem) WriteHeader(code int) {
	if code != http.StatusNotFound {
		n.ResponseWriter.WriteHeader(code)
		return
	}
	n.replaced = true
	h := n.ResponseWriter.Header()
	h.Del("X-Content-Type-Options")
	problem.NotFound(n.ResponseWriter, "no file "+n.path+" in the API reference")
}

func (n *notFoundProblem) Write(b []byte) (int, error) {
	if n.replaced {
		return len(b), nil
	}
	return n.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (n *notFoundProblem) Unwrap() http.ResponseWriter { return n.ResponseWriter }
