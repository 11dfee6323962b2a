package admission

import (
	"io"
	"net/http"
	"strconv"

	"mosaic/bff/httpx"
	"mosaic/internal/reqid"
)

// shedBody is the whole answer to a shed request: a constant problem, so
// that refusing work costs next to nothing of the CPU the admitted
// requests need.
const shedBody = `{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"overloaded: the instance is shedding load, retry shortly"}`

// Middleware admits requests through a Limiter and sheds the rest with a
// constant 503 problem and Retry-After, before anything else runs.
type Middleware struct {
	l *Limiter
	m *Metrics
	// limited picks the requests admission is for; the others pass.
	limited func(*http.Request) bool
	// unsampled: the request's latency says nothing about the instance.
	unsampled func(*http.Request) bool
	// counted, if not nil, also counts each request answered here (a 503
	// shed, a 499 whose client left while it queued) where the scene
	// routes' answers are counted.
	counted func(r *http.Request, code int)
	// Header values, built once and shared read-only by every shed answer.
	ctype, clen, retry, noStore []string
}

// NewMiddleware returns the admission middleware of l. limited, if not
// nil, picks the requests it limits (the scene routes'); the others go on
// unlimited and teach l nothing. unsampled, if not
// nil, picks requests whose latency must not teach l (those carrying a mock
// fault scenario in mock mode). counted, if not nil, is told of each
// request answered here with its status: each shed one (503, besides
// bff_shed_total), and each whose client left while it queued (499); it
// must not allocate.
func NewMiddleware(l *Limiter, limited, unsampled func(*http.Request) bool, counted func(r *http.Request, code int)) *Middleware {
	return &Middleware{
		l:         l,
		m:         l.cfg.Metrics,
		limited:   limited,
		unsampled: unsampled,
		counted:   counted,
		ctype:     []string{"application/problem+json"},
		clen:      []string{strconv.Itoa(len(shedBody))},
		retry:     []string{"1"},
		noStore:   []string{"no-store"},
	}
}

// Wrap is the middleware.
func (a *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.limited != nil && !a.limited(r) {
			next.ServeHTTP(w, r)
			return
		}
		switch v := a.l.Acquire(r.Context()); v {
		case Admitted:
		case Gone:
			if !httpx.ClientLeft(r.Context()) { // cut by the server's shutdown while it queued
				a.m.shed(ShedQueue)
				if a.counted != nil {
					a.counted(r, http.StatusServiceUnavailable)
				}
				a.shed(w, r)
				return
			}
			// No access line (the log runs after admission, as for a shed
			// request): the scene metrics count it, as a 499.
			if a.counted != nil {
				a.counted(r, httpx.StatusClientClosed)
			}
			w.WriteHeader(httpx.StatusClientClosed) // no one reads it
			return
		default:
			a.m.shed(v)
			if a.counted != nil {
				a.counted(r, http.StatusServiceUnavailable)
			}
			a.shed(w, r)
			return
		}
		// The sample is the time served, not the time waited for a slot:
		// waiting is what the limit causes, not what it should learn from.
		// A request whose client left teaches nothing either: it ended when
		// the client went, not when the work was done.
		start := a.l.cfg.Now()
		sample := a.unsampled == nil || !a.unsampled(r)
		defer func() { a.l.Release(start, sample && r.Context().Err() == nil) }()
		next.ServeHTTP(w, r)
	})
}

// shed answers the constant problem. It returns the request id the
// request came with (the gateway always sends one), sharing the request's
// own slice so that refusing still allocates nothing; it makes none, since
// a shed request leaves no log line for an id to find: bff_shed_total
// counts it.
func (a *Middleware) shed(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if ids := r.Header["X-Request-Id"]; len(ids) == 1 && reqid.Sane(ids[0]) {
		h["X-Request-Id"] = ids
	}
	h["Content-Type"] = a.ctype
	h["Content-Length"] = a.clen
	h["Retry-After"] = a.retry
	h["Cache-Control"] = a.noStore
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, shedBody)
}

// ScenarioUnsampled picks, in mock mode, the requests carrying
// X-Mock-Scenario: their latency is whatever the developer injected. In
// real mode the header is ignored, and so is it here (nil).
func ScenarioUnsampled(mock bool) func(*http.Request) bool {
	if !mock {
		return nil
	}
	return func(r *http.Request) bool { return r.Header.Get("X-Mock-Scenario") != "" }
}
