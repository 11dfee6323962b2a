// Package endpoint turns a scene and a device's adapter into an HTTP
// handler: parse and validate the request, assemble the scene under its
// deadline, adapt it, write JSON. The device packages supply only what
// differs between devices: page sizes and the adapter.
package endpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/accesslog"
	"mosaic/bff/device"
	"mosaic/bff/httpx"
	"mosaic/bff/problem"
	"mosaic/bff/request"
	"mosaic/bff/scene"
	"mosaic/clients/conn"
	"mosaic/dto"
)

// Env is what every scene handler needs, whatever the device.
type Env struct {
	Scenes *scene.Service
	// Trust is who may assert X-User-Id.
	Trust request.Trust
	// Deadline bounds one scene request, downstream calls included.
	Deadline time.Duration
	// Metrics may be nil.
	Metrics *Metrics
	// CheckScenario validates X-Mock-Scenario, which is then carried to
	// the mock downstreams. Only mock mode sets it; elsewhere the header is
	// ignored and never forwarded.
	CheckScenario func(string) error
	// CORSOrigins may call the routes of devices with CORS (the web) from
	// scripts in a browser; none by default.
	CORSOrigins []string
	// ServerTiming sends Server-Timing to every caller; otherwise only mock
	// mode and trusted peers get it (see showTiming).
	ServerTiming bool
}

// Device is what the shared handlers need to know of a device: its name (as
// in its routes), page sizes, and how many related videos and hot replies
// its video page shows.
type Device struct {
	Name     string
	PageSize device.PageSize
	Related  int
	Replies  int
	// Builds: the device's clients send X-Client-Build.
	Builds bool
	// Vary names the request headers the device's adapters read (see
	// conventions.go for those every scene depends on).
	Vary []string
	// CORS: browsers call the device from pages on other origins.
	CORS bool
}

func (d Device) shape(paged bool) request.Shape {
	return request.Shape{Paged: paged, PageSize: d.PageSize, Builds: d.Builds}
}

// Feed serves GET /{device}/v1/feed with adapt's body.
func Feed[T any](env Env, dev Device, adapt func(scene.Feed, device.View) T) http.HandlerFunc {
	return serve(env, dev.shape(true), "feed", dev.Name, adapt, func(ctx context.Context, _ *http.Request, p request.Params) (scene.Feed, []scene.Degraded, error) {
		f, err := env.Scenes.Feed(ctx, scene.FeedQuery{Viewer: p.Viewer, Device: dev.Name, Page: p.Page, PS: p.PS})
		f.More = f.More && p.Page < request.MaxPage // the next page would be refused
		return f, f.Degraded, err
	})
}

// Video serves GET /{device}/v1/videos/{aid} with adapt's body.
func Video[T any](env Env, dev Device, adapt func(scene.Video, device.View) T) http.HandlerFunc {
	return serve(env, dev.shape(false), "video", dev.Name, adapt, func(ctx context.Context, r *http.Request, p request.Params) (scene.Video, []scene.Degraded, error) {
		aid, err := request.ID("aid", chi.URLParam(r, "aid"), false)
		if err != nil {
			return scene.Video{}, nil, err
		}
		v, err := env.Scenes.Video(ctx, scene.VideoQuery{Viewer: p.Viewer, Aid: aid, Related: dev.Related, Replies: dev.Replies})
		return v, v.Degraded, err
	})
}

// User serves GET /{device}/v1/users/{mid} with adapt's body.
func User[T any](env Env, dev Device, adapt func(scene.User, device.View) T) http.HandlerFunc {
	return serve(env, dev.shape(true), "user", dev.Name, adapt, func(ctx context.Context, r *http.Request, p request.Params) (scene.User, []scene.Degraded, error) {
		mid, err := request.ID("mid", chi.URLParam(r, "mid"), false)
		if err != nil {
			return scene.User{}, nil, err
		}
		u, err := env.Scenes.User(ctx, scene.UserQuery{Viewer: p.Viewer, Mid: mid, Page: p.Page, PS: p.PS})
		u.More = u.More && p.Page < request.MaxPage
		return u, u.Degraded, err
	})
}

// serve is every scene handler: validate, load the scene under the
// deadline with its downstream calls timed, adapt, write, observe.
func serve[S, T any](env Env, shape request.Shape, sceneName, deviceName string, adapt func(S, device.View) T, load func(context.Context, *http.Request, request.Params) (S, []scene.Degraded, error)) http.HandlerFunc {
	shape.Scenario = env.CheckScenario != nil // mock mode reads X-Mock-Scenario
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer env.Metrics.begin()()
		code, degraded := func() (int, []scene.Degraded) {
			p, err := request.Parse(r, shape, env.Trust)
			if err != nil {
				return fail(w, err), nil
			}
			ctx, cancel := env.deadline(r.Context())
			defer cancel()
			ctx = conn.WithColor(ctx, p.Color)
			if env.CheckScenario != nil {
				if err := env.CheckScenario(p.Scenario); err != nil {
					return fail(w, &request.Error{Param: "X-Mock-Scenario", Detail: err.Error()}), nil
				}
				ctx = conn.WithScenario(ctx, p.Scenario)
			}
			var timings conn.Timings
			s, degraded, err := load(conn.WithTimings(ctx, &timings), r, p)
			if t := timings.Header(); t != "" && env.showTiming(r) {
				w.Header().Set("Server-Timing", t)
			}
			if err != nil {
				return fail(w, err), nil
			}
			return writeJSON(w, r, adapt(s, p.View)), degraded
		}()
		env.Metrics.observe(deviceName, sceneName, code, time.Since(start), degraded)
		accesslog.Note(r.Context(), deviceName, sceneName, degraded)
	}
}

func (env Env) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if env.Deadline <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, env.Deadline)
}

// fail maps an error to its problem: bad input is 400, a missing entity 404,
// a critical dependency past the deadline 504, any other critical failure 503.
func fail(w http.ResponseWriter, err error) int {
	var re *request.Error
	if errors.As(err, &re) {
		problem.BadParam(w, re.Param, re.Detail)
		return http.StatusBadRequest
	}
	var se *scene.Error
	if errors.Is(err, scene.ErrNotFound) {
		if errors.As(err, &se) {
			err = se.Err // "video 5: not found", not the step that found out
		}
		problem.NotFound(w, err.Error())
		return http.StatusNotFound
	}
	p := dto.Problem{Status: http.StatusServiceUnavailable, Detail: "a dependency the screen cannot do without failed"}
	if errors.As(err, &se) {
		p.Section = se.Section
		p.Detail = se.Section + " " + se.Reason
		if se.Reason == scene.ReasonTimeout {
			p.Status = http.StatusGatewayTimeout
		}
	}
	problem.Write(w, p)
	return p.Status
}

// bodyHint is room for a typical scene body (4–20 KB), so that encoding
// does not regrow the buffer on every request.
const bodyHint = 16 << 10

// writeJSON sends v as a personalized representation: with its ETag, or
// 304 when the client holds it already (httpx.WritePersonal).
func writeJSON(w http.ResponseWriter, r *http.Request, v any) int {
	var buf bytes.Buffer
	buf.Grow(bodyHint)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // titles with & and < are text, not markup
	if err := enc.Encode(v); err != nil {
		problem.Write(w, dto.Problem{Status: http.StatusInternalServerError, Detail: "encoding the response failed"})
		return http.StatusInternalServerError
	}
	return httpx.WritePersonal(w, r, "application/json", buf.Bytes())
}
