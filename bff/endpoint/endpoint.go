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
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/accesslog"
	"mosaic/bff/assemble"
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
	Scenes *assemble.Service
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

// route is what tells the scene handlers apart, their loading aside: the
// scene (its metrics label), whether it pages, and the path parameter that
// names its entity ("" for none).
type route struct {
	scene string
	paged bool
	id    string
}

// Feed serves GET /{device}/v1/feed with adapt's body.
func Feed[T any](r *Router, adapt func(scene.Feed, device.View) T) Scene {
	scenes, dev := r.env.Scenes, r.dev.Name
	return serve(r, route{scene: "feed", paged: true}, adapt, func(ctx context.Context, p request.Params, _ int64) (scene.Feed, []scene.Degraded, error) {
		f, err := scenes.Feed(ctx, assemble.FeedQuery{Viewer: p.Viewer, Device: dev, Page: p.Page, PS: p.PS})
		f.More = f.More && p.Page < request.MaxPage // the next page would be refused
		return f, f.Degraded, err
	})
}

// Video serves GET /{device}/v1/videos/{aid} with adapt's body.
func Video[T any](r *Router, adapt func(scene.Video, device.View) T) Scene {
	scenes, related, replies := r.env.Scenes, r.dev.Related, r.dev.Replies
	return serve(r, route{scene: "video", id: "aid"}, adapt, func(ctx context.Context, p request.Params, aid int64) (scene.Video, []scene.Degraded, error) {
		v, err := scenes.Video(ctx, assemble.VideoQuery{Viewer: p.Viewer, Aid: aid, Related: related, Replies: replies})
		return v, v.Degraded, err
	})
}

// User serves GET /{device}/v1/users/{mid} with adapt's body.
func User[T any](r *Router, adapt func(scene.User, device.View) T) Scene {
	scenes := r.env.Scenes
	return serve(r, route{scene: "user", paged: true, id: "mid"}, adapt, func(ctx context.Context, p request.Params, mid int64) (scene.User, []scene.Degraded, error) {
		u, err := scenes.User(ctx, assemble.UserQuery{Viewer: p.Viewer, Mid: mid, Page: p.Page, PS: p.PS})
		u.More = u.More && p.Page < request.MaxPage
		return u, u.Degraded, err
	})
}

// Scene is a scene route's handler, and the scene it serves (its metrics
// label), for Router.Get.
type Scene struct {
	name    string
	handler http.HandlerFunc
}

// serve is every scene handler: validate, load the scene under the
// deadline with its downstream calls timed, adapt, write, observe.
func serve[S, T any](r *Router, rt route, adapt func(S, device.View) T, load func(context.Context, request.Params, int64) (S, []scene.Degraded, error)) Scene {
	env, deviceName := r.env, r.dev.Name
	shape := request.Shape{Paged: rt.paged, PageSize: r.dev.PageSize, Builds: r.dev.Builds, Scenario: env.CheckScenario != nil}
	return Scene{name: rt.scene, handler: func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer env.Metrics.begin()()
		// Observed on the way out, a panic included: the recoverer
		// outside answers it with a 500, which the metrics must count.
		code, degraded := http.StatusInternalServerError, []scene.Degraded(nil)
		defer func() {
			env.Metrics.observe(deviceName, rt.scene, code, time.Since(start), degraded)
			accesslog.Note(r.Context(), deviceName, rt.scene, degraded)
		}()
		code, degraded = func() (int, []scene.Degraded) {
			p, err := request.Parse(r, shape, env.Trust)
			if err != nil {
				return fail(w, r, err), nil
			}
			ctx, cancel := env.deadline(r.Context())
			defer cancel()
			ctx = conn.WithColor(ctx, p.Color)
			if env.CheckScenario != nil {
				if err := env.CheckScenario(p.Scenario); err != nil {
					return fail(w, r, &request.Error{Param: "X-Mock-Scenario", Detail: err.Error()}), nil
				}
				ctx = conn.WithScenario(ctx, p.Scenario)
			}
			id, err := pathID(r, rt.id)
			if err != nil {
				return fail(w, r, err), nil
			}
			var timings conn.Timings
			s, degraded, err := load(conn.WithTimings(ctx, &timings), p, id)
			if httpx.ClientLeft(r.Context()) {
				// The client left: what failed failed for that, and no one
				// reads the answer (httpx.StatusClientClosed).
				w.WriteHeader(httpx.StatusClientClosed)
				return httpx.StatusClientClosed, nil
			}
			if r.Context().Err() != nil { // cut by the server's shutdown
				// Retry-After: another replica takes it now; the gateway
				// does not retry a 503 itself.
				w.Header().Set("Retry-After", "1")
				problem.Write(w, dto.Problem{Status: http.StatusServiceUnavailable, Detail: "the instance shut down before the screen was done; retry shortly"})
				return http.StatusServiceUnavailable, nil
			}
			if t := timings.Header(); t != "" && env.showTiming(r) {
				w.Header().Set("Server-Timing", t)
			}
			if err != nil {
				return fail(w, r, err), nil
			}
			return writeJSON(w, r, adapt(s, p.View)), degraded
		}()
	}}
}

// pathID is the route's entity ID (aid, mid), checked after the query and
// the headers; 0 for a route without one.
func pathID(r *http.Request, name string) (int64, error) {
	if name == "" {
		return 0, nil
	}
	v := chi.URLParam(r, name)
	// chi matches the escaped path when there is one (RawPath), and then
	// hands the segment over still escaped: /videos/%38 is video 8. Only
	// then: a segment decoded already is not decoded twice (%2538 is the
	// text %38, not 8).
	if r.URL.RawPath != "" {
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
	}
	return request.PathID(name, v)
}

func (env Env) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if env.Deadline <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, env.Deadline)
}

// fail maps an error to its problem: bad input is 400, a missing entity 404,
// a critical dependency past the deadline 504, any other critical failure 503.
func fail(w http.ResponseWriter, r *http.Request, err error) int {
	var re *request.Error
	if errors.As(err, &re) {
		problem.BadParam(w, re.Param, re.Detail)
		return http.StatusBadRequest
	}
	var se *assemble.Error
	if errors.Is(err, assemble.ErrNotFound) {
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
		accesslog.Failed(r.Context(), se.Section, se.Reason)
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
	if err := enc.Encode(dto.Encoded(v)); err != nil {
		problem.Write(w, dto.Problem{Status: http.StatusInternalServerError, Detail: "encoding the response failed"})
		return http.StatusInternalServerError
	}
	return httpx.WritePersonal(w, r, "application/json", buf.Bytes())
}
