package endpoint

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/device"
	"mosaic/bff/scene"
)

// Routes are the scene routes every device serves, under /{device}, each
// answered with the device's own adapter, to GET and HEAD alike (HEAD
// assembles the scene too: its ETag and Content-Length are the GET's).
func Routes[F, V, U any](env Env, dev Device,
	feed func(scene.Feed, device.View) F,
	video func(scene.Video, device.View) V,
	user func(scene.User, device.View) U,
) func(chi.Router) {
	return func(r chi.Router) {
		r.Use(env.cors(dev), vary(env.varyOn(dev)))
		for _, route := range []struct {
			path string
			h    http.HandlerFunc
		}{
			{"/v1/feed", Feed(env, dev, feed)},
			{"/v1/videos/{aid}", Video(env, dev, video)},
			{"/v1/users/{mid}", User(env, dev, user)},
		} {
			r.Get(route.path, route.h)
			r.Head(route.path, route.h)
		}
	}
}
