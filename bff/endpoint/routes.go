package endpoint

import (
	"github.com/go-chi/chi/v5"

	"mosaic/bff/device"
)

// Device is one entry of the device registry (bff/devices): what the shared
// handlers and the router need to know of a device. Its adaptation lives in
// its own package, which its Routes name.
type Device struct {
	// Name is the first segment of the device's routes, and its metrics label.
	Name     string
	PageSize device.PageSize
	// Related and Replies are how many related videos and hot replies the
	// device's video page shows.
	Related, Replies int
	// Builds: the device's clients send X-Client-Build.
	Builds bool
	// Vary names the request headers the device's adapters read (see
	// conventions.go for those every scene depends on).
	Vary []string
	// CORS: browsers call the device from pages on other origins.
	CORS bool
	// Routes mounts the device's scene routes, one r.Get line each (its
	// routes.go).
	Routes func(r *Router)
}

// Router is what a device's Routes mount their scene routes on, under
// /{device}: it carries the environment and the device the scene handlers
// (Feed, Video, User) are built for.
type Router struct {
	mux chi.Router
	env Env
	dev Device
}

// Get serves pattern with s to GET and to HEAD alike: HEAD assembles the
// scene too, so that its ETag and Content-Length are the GET's. The metrics
// learn which scene the pattern serves, to count requests shed before
// routing (Metrics.Refused).
func (r *Router) Get(pattern string, s Scene) {
	r.mux.Get(pattern, s.handler)
	r.mux.Head(pattern, s.handler)
	r.env.Metrics.route(r.dev.Name, pattern, s.name)
}

// Mount returns dev's routes, to mount under /{dev.Name}: its Routes, with
// the Vary of the device on every answer, errors included. Its CORS
// (Env.CORS) is the caller's to put in front.
func Mount(env Env, dev Device) func(chi.Router) {
	return func(mux chi.Router) {
		mux.Use(vary(env.varyOn(dev)))
		dev.Routes(&Router{mux: mux, env: env, dev: dev})
	}
}
