package endpoint

import (
	"github.com/go-chi/chi/v5"

	"mosaic/bff/device"
	"mosaic/bff/scene"
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
	// Routes mounts the device's routes: Scenes, over its adapters.
	Routes func(r *Router)
}

// Adapters shape each scene into a device's body: F the feed's, V the
// video page's, U the user page's (bff/device's Adapters and Builds).
type Adapters[F, V, U any] interface {
	Feed(scene.Feed, device.View) F
	Video(scene.Video, device.View) V
	User(scene.User, device.View) U
}

// Scenes are the scene routes, the same on every device: what differs is
// how a's adapters shape the bodies (each route answers HEAD as GET).
func Scenes[F, V, U any](a Adapters[F, V, U]) func(r *Router) {
	return func(r *Router) {
		r.Get("/v1/feed", Feed(r, a.Feed))
		r.Get("/v1/videos/{aid}", Video(r, a.Video))
		r.Get("/v1/users/{mid}", User(r, a.User))
	}
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
