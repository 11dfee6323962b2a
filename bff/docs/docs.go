// Package docs serves the interactive API reference on the public listener:
// Swagger UI rendering api.openapi.yaml. Its scripts, styles and icons are
// embedded in the binary (github.com/swaggest/swgui's v5emb), so the page
// works offline and behind firewalls: it loads nothing but this server's
// own /docs/ assets and the spec.
package docs

import (
	"net/http"

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
		ui.ServeHTTP(&notFoundProblem{ResponseWriter: w, path: r.URL.Path}, r)
	})
}

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
