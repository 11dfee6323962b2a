package endpoint

import (
	"github.com/go-chi/chi/v5"

	"mosaic/bff/device"
	"mosaic/bff/scene"
)

// Routes are the scene routes every device serves, under /{device}, each
// answered with the device's own adapter.
func Routes[F, V, U any](env Env, dev Device,
	feed func(scene.Feed, device.View) F,
	video func(scene.Video, device.View) V,
	user func(scene.User, device.View) U,
) func(chi.Router) {
	return func(r chi.Router) {
		r.Get("/v1/feed", Feed(env, dev, feed))
		r.Get("/v1/videos/{aid}", Video(env, dev, video))
		r.Get("/v1/users/{mid}", User(env, dev, user))
	}
}
