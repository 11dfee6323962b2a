package web

import "mosaic/bff/endpoint"

// routes are the web's scene routes (each answers HEAD as GET).
func routes(r *endpoint.Router) {
	a := Adapt()
	r.Get("/v1/feed", endpoint.Feed(r, a.Feed))
	r.Get("/v1/videos/{aid}", endpoint.Video(r, a.Video))
	r.Get("/v1/users/{mid}", endpoint.User(r, a.User))
}
