// Package docs serves the interactive API reference on the public listener:
// Swagger UI rendering api.openapi.yaml. Its scripts, styles and icons are
// embedded in the binary (github.com/swaggest/swgui's v5emb), so the page
// works offline and behind firewalls: it loads nothing but this server's
// own /docs/ assets and the spec.
package docs

import (
	"net/http"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// Path is where the reference is mounted; its assets live under Path + "/".
const Path = "/docs"

// Handler returns the reference page and its assets for requests under
// Path. specURL is where the browser fetches the OpenAPI document, a path on
// the same listener (the public one serves it at /openapi.yaml).
func Handler(specURL string) http.Handler {
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
