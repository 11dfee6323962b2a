package pad

import (
	"github.com/go-chi/chi/v5"

	"mosaic/bff/endpoint"
)

// Routes mounts the pad's scenes.
func Routes(env endpoint.Env) func(chi.Router) {
	dev := spec()
	return func(r chi.Router) {
		r.Get("/v1/feed", endpoint.Feed(env, dev, AdaptFeed))
		r.Get("/v1/videos/{aid}", endpoint.Video(env, dev, AdaptVideo))
		r.Get("/v1/users/{mid}", endpoint.User(env, dev, AdaptUser))
	}
}
