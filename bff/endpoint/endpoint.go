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
	"strconv"
	"time"

	"mosaic/bff/device"
	"mosaic/bff/problem"
	"mosaic/bff/request"
	"mosaic/bff/scene"
	"mosaic/dto"
)

// Env is what every scene handler needs, whatever the device.
type Env struct {
	Scenes *scene.Service
	// Trust is who may assert X-User-Id.
	Trust request.Trust
	// Deadline bounds one scene request, downstream calls included.
	Deadline time.Duration
}

// Device is a device's name (as in its route) and page sizes.
type Device struct {
	Name     string
	PageSize device.PageSize
}

// Feed serves GET /{device}/v1/feed with adapt's body.
func Feed[T any](env Env, dev Device, adapt func(scene.Feed, device.View) T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := request.Parse(r, dev.PageSize, env.Trust)
		if err != nil {
			badRequest(w, err)
			return
		}
		ctx, cancel := env.deadline(r.Context())
		defer cancel()
		f, err := env.Scenes.Feed(ctx, scene.FeedQuery{Viewer: p.Viewer, Device: dev.Name, Page: p.Page, PS: p.PS})
		if err != nil {
			sceneFailed(w, err)
			return
		}
		writeJSON(w, adapt(f, p.View))
	}
}

func (env Env) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if env.Deadline <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, env.Deadline)
}

func badRequest(w http.ResponseWriter, err error) {
	var re *request.Error
	if errors.As(err, &re) {
		problem.BadParam(w, re.Param, re.Detail)
		return
	}
	problem.Write(w, dto.Problem{Status: http.StatusBadRequest, Detail: err.Error()})
}

// sceneFailed maps a failed scene to its status: a missing entity is 404, a
// critical dependency past the deadline 504, any other critical failure 503.
func sceneFailed(w http.ResponseWriter, err error) {
	if errors.Is(err, scene.ErrNotFound) {
		problem.NotFound(w, err.Error())
		return
	}
	p := dto.Problem{Status: http.StatusServiceUnavailable, Detail: "a dependency the screen cannot do without failed"}
	var se *scene.Error
	if errors.As(err, &se) {
		p.Section = se.Section
		p.Detail = se.Section + " " + se.Reason
		if se.Reason == scene.ReasonTimeout {
			p.Status = http.StatusGatewayTimeout
		}
	}
	problem.Write(w, p)
}

func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // titles with & and < are text, not markup
	if err := enc.Encode(v); err != nil {
		problem.Write(w, dto.Problem{Status: http.StatusInternalServerError, Detail: "encoding the response failed"})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}
