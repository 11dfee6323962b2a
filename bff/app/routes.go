package app

import "mosaic/bff/endpoint"

// routes are the app's scene routes, each answered in the card the asking
// build parses (and to HEAD as to GET).
func routes(r *endpoint.Router) {
	a := Adapt()
	r.Get("/v1/feed", endpoint.Feed(r, a.Feed))
	r.Get("/v1/videos/{aid}", endpoint.Video(r, a.Video))
	r.Get("/v1/users/{mid}", endpoint.User(r, a.User))
}
