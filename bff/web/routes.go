package web

import (
	"github.com/go-chi/chi/v5"

	"mosaic/bff/endpoint"
)

// Routes mounts the web's scenes.
func Routes(env endpoint.Env) func(chi.Router) {
	dev := endpoint.Device{Name: Name, PageSize: pageSize()}
	return func(r chi.Router) {
		r.Get("/v1/feed", endpoint.Feed(env, dev, AdaptFeed))
	}
}
