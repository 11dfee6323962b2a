// Package bff is mosaic's public HTTP surface: every device's scene routes,
// mounted in one place.
package bff

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/accesslog"
	"mosaic/bff/app"
	"mosaic/bff/docs"
	"mosaic/bff/endpoint"
	"mosaic/bff/mini"
	"mosaic/bff/pad"
	"mosaic/bff/web"
	"mosaic/internal/telemetry"
)

// NewServer returns the public handler: scene APIs for each device and the
// OpenAPI document they follow. maxInflight bounds the scene requests
// served at once. Every request gets an access line in logger; wrap the
// handler in telemetry.Tracing.Handler for its server span.
func NewServer(logger *slog.Logger, env endpoint.Env, spec []byte, maxInflight int) http.Handler {
	logger = telemetry.WithContextIDs(logger)
	r := chi.NewRouter()
	r.Use(requestID, accesslog.Middleware(logger), recoverer(logger), limitURI)
	r.Group(func(r chi.Router) {
		r.Use(shed(maxInflight))
		r.Route("/"+app.Name, app.Routes(env))
		r.Route("/"+pad.Name, pad.Routes(env))
		r.Route("/"+web.Name, web.Routes(env))
		r.Route("/"+mini.Name, mini.Routes(env))
	})
	r.Get("/openapi.yaml", serveSpec(spec))
	r.Mount(docs.Path, docs.Handler("/openapi.yaml"))
	r.NotFound(notFound)
	r.MethodNotAllowed(methodNotAllowed)
	return r
}
