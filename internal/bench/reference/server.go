package reference

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Query is a parsed scene request.
type Query struct {
	Device   string
	Viewer   int64
	Page, PS int
	ID       int64 // aid or mid
}

// Scenes is one reference BFF: how it fetches and builds each scene.
type Scenes interface {
	Feed(ctx context.Context, q Query) (Feed, error)
	Video(ctx context.Context, q Query) (Video, error)
	User(ctx context.Context, q Query) (User, error)
}

// Server serves the three scenes for any device segment:
// /{device}/v1/feed, /{device}/v1/videos/{aid}, /{device}/v1/users/{mid}.
type Server struct{ Scenes Scenes }

// errBadRequest wraps what answers 400.
type errBadRequest string

func (e errBadRequest) Error() string { return string(e) }

func (h Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dev, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	body, err := h.serve(r, dev, rest)
	var bad errBadRequest
	switch {
	case errors.As(err, &bad):
		http.Error(w, bad.Error(), http.StatusBadRequest)
	case errors.Is(err, ErrNotFound):
		http.NotFound(w, r)
	case err != nil:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	default:
		writeJSON(w, body)
	}
}

// serve routes the request after its device segment to its scene.
func (h Server) serve(r *http.Request, dev, rest string) (any, error) {
	q, err := parseQuery(r, dev)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	if rest == "v1/feed" {
		return h.Scenes.Feed(ctx, q)
	}
	if id, ok := strings.CutPrefix(rest, "v1/videos/"); ok {
		if q.ID, err = strconv.ParseInt(id, 10, 64); err != nil {
			return nil, errBadRequest("bad aid")
		}
		return h.Scenes.Video(ctx, q)
	}
	if id, ok := strings.CutPrefix(rest, "v1/users/"); ok {
		if q.ID, err = strconv.ParseInt(id, 10, 64); err != nil {
			return nil, errBadRequest("bad mid")
		}
		return h.Scenes.User(ctx, q)
	}
	return nil, ErrNotFound
}

// parseQuery reads the viewer, ps (clamped to MaxPS) and page.
func parseQuery(r *http.Request, dev string) (Query, error) {
	q := Query{Device: dev, Page: 1, PS: DefaultPS}
	q.Viewer, _ = strconv.ParseInt(r.Header.Get("X-User-Id"), 10, 64)
	if v := r.URL.Query().Get("ps"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, errBadRequest("bad ps")
		}
		q.PS = min(n, MaxPS)
	}
	if v := r.URL.Query().Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, errBadRequest("bad page")
		}
		q.Page = n
	}
	return q, nil
}

func writeJSON(w http.ResponseWriter, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
