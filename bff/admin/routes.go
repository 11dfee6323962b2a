// Package admin is the operator listener: health, readiness, metrics, pprof
// and the QA page. It is never mounted on the public listener.
package admin

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	rpprof "runtime/pprof"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mosaic/bff/admin/qa"
	"mosaic/bff/httpx"
	"mosaic/bff/openapi"
	"mosaic/bff/problem"
	"mosaic/dto"
)

// Option adds a page to the admin routes.
type Option func(chi.Router)

// QA mounts the QA page, /debug/compare, which serves a scene request to
// every device through public, the public listener's handler, and checks
// the answers against spec.
func QA(public http.Handler, spec *openapi.Spec) Option {
	return qa.New(public, spec).Routes
}

// NewHandler returns the admin routes. ready is nil when this instance
// should receive traffic, else why not (/readyz's 503 says it to the
// operator with curl); it fails as soon as shutdown begins.
func NewHandler(gatherer prometheus.Gatherer, ready func() error, opts ...Option) http.Handler {
	// An operator's typo gets the same problem answer as a client's on the
	// public listener, and the list of what is here (served, once every
	// route is mounted).
	var served string
	missing := func(w http.ResponseWriter, r *http.Request) {
		problem.NotFound(w, "no route "+r.URL.EscapedPath()+": "+served)
	}
	r := chi.NewRouter()
	r.Use(middleware.GetHead) // health checkers and link checkers send HEAD
	r.Use(httpx.NoSniff)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			problem.Write(w, dto.Problem{Status: http.StatusServiceUnavailable, Detail: "not ready: " + err.Error()})
			return
		}
		w.Write([]byte("ready\n"))
	})
	// Reads, each: a POST to /metrics is a mistake to say, not a scrape. The
	// pprof tool looks symbols up by POST too.
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	r.Get("/debug/pprof/*", knownProfile(boundSeconds(false, pprof.Index), missing))
	r.Get("/debug/pprof/cmdline", pprof.Cmdline)
	r.Get("/debug/pprof/profile", boundSeconds(false, pprof.Profile))
	r.Get("/debug/pprof/symbol", pprof.Symbol)
	r.Post("/debug/pprof/symbol", pprof.Symbol)
	r.Get("/debug/pprof/trace", boundSeconds(true, pprof.Trace))
	for _, o := range opts {
		o(r)
	}
	served = "the admin listener serves " + strings.Join(routes(r), ", ")
	r.NotFound(missing)
	r.MethodNotAllowed(httpx.MethodNotAllowed(r, missing))
	return r
}

// knownProfile sends a name under /debug/pprof/ that names no profile to
// missing: pprof's own answer is a plain-text 404.
func knownProfile(h, missing http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if name := chi.URLParam(r, "*"); name != "" && rpprof.Lookup(name) == nil {
			missing(w, r)
			return
		}
		h(w, r)
	}
}

// routes lists the GET patterns of r, each once.
func routes(r chi.Routes) []string {
	var out []string
	chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodGet && !slices.Contains(out, route) {
			out = append(out, route)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// maxSeconds bounds a CPU profile or an execution trace. pprof takes any
// duration, extending the write deadline to match, and runs one CPU profile
// at a time: a request for a day's would hold the profiler for a day.
const maxSeconds = 120

// boundSeconds refuses, as a problem, a seconds parameter that is not a
// duration of 1 to maxSeconds. pprof would run its default for a malformed
// or non-positive one (30 s of CPU profile, with the caller none the
// wiser) and any length for a long one. Only a trace takes a fraction of a
// second (pprof parses its seconds as a float, a profile's as an integer).
func boundSeconds(fractions bool, h http.HandlerFunc) http.HandlerFunc {
	want := fmt.Sprintf("a whole number of seconds from 1 to %d", maxSeconds)
	if fractions {
		want = fmt.Sprintf("a number of seconds above 0, at most %d", maxSeconds)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		// Given empty is given wrong: pprof reads it as absent, its default.
		if q := r.URL.Query(); q.Has("seconds") && !validSeconds(q.Get("seconds"), fractions) {
			problem.BadParam(w, "seconds", fmt.Sprintf("want %s, got %q", want, problem.Clip(q.Get("seconds"))))
			return
		}
		h(w, r)
	}
}

func validSeconds(v string, fractions bool) bool {
	if !fractions {
		sec, err := strconv.ParseInt(v, 10, 64)
		return err == nil && sec >= 1 && sec <= maxSeconds
	}
	sec, err := strconv.ParseFloat(v, 64)
	return err == nil && sec > 0 && sec <= maxSeconds // NaN fails both
}
