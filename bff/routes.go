// Package bff is mosaic's public HTTP surface: every device's scene routes,
// mounted in one place.
package bff

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/app"
	"mosaic/bff/docs"
	"mosaic/bff/endpoint"
	"mosaic/bff/mini"
	"mosaic/bff/pad"
	"mosaic/bff/specmock"
	"mosaic/bff/web"
)

// NewServer returns the public handler: scene APIs for each device and the
// OpenAPI document they follow. maxInflight bounds the scene requests
// served at once. mocks serves the operations the spec marks as not built
// yet (nil: none).
func NewServer(logger *slog.Logger, env endpoint.Env, spec []byte, maxInflight int, mocks *specmock.Mocks) http.Handler {
	r := chi.NewRouter()
	r.Use(recoverer(logger), requestID, limitURI)
	r.Group(func(r chi.Router) {
		r.Use(shed(maxInflight))
		r.Route("/"+app.Name, app.Routes(env))
		r.Route("/"+pad.Name, pad.Routes(env))
		r.Route("/"+web.Name, web.Routes(env))
		r.Route("/"+mini.Name, mini.Routes(env))
	})
	r.Get("/openapi.yaml", serveSpec(spec))
	r.Mount(docs.Path, docs.Handler("/openapi.yaml"))
	mocks.Mount(r) // last: only what no real handler serves
	r.NotFound(notFound)
	r.MethodNotAllowed(methodNotAllowed)
	return r
}
