package app

import (
	"github.com/go-chi/chi/v5"

	"mosaic/bff/endpoint"
)

// Routes mounts the shared scene routes with the app's page sizes and
// adapters.
func Routes(env endpoint.Env) func(chi.Router) {
	return endpoint.Routes(env, spec(), AdaptFeed, AdaptVideo, AdaptUser)
}
