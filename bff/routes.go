// Package bff is mosaic's public HTTP surface: every device's scene routes,
// mounted in one place.
package bff

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/accesslog"
	"mosaic/bff/admission"
	"mosaic/bff/devices"
	"mosaic/bff/docs"
	"mosaic/bff/endpoint"
	"mosaic/bff/httpx"
	"mosaic/bff/specmock"
	"mosaic/internal/reqid"
	"mosaic/internal/telemetry"
)

// NewServer returns the public handler: scene APIs for each device and the
// OpenAPI document they follow, every device of the registry (bff/devices)
// under /{device}. A device's CORS runs first: it answers a preflight
// itself, before admission (a preflight is never shed) but behind the
// edge (an access line, a request id), and puts its headers on every other
// answer under /{device}, a shed one included. admit decides which scene requests start (nil: all of them);
// it limits the scene routes only (a path no route serves gets its 404
// at once, and the spec's mocked operations, a development aid answering
// 501 outside mock mode, are not limited either). It runs next, so that a
// shed request costs no more than its constant answer (and gets no access
// line: bff_shed_total and bff_http_requests_total count them). Nothing
// else on this listener is
// limited, and the admin listener (health, readiness, metrics) is a
// separate handler. mocks serves the operations the spec marks as not
// built yet (nil: none). Every other request gets one access line in
// logger; wrap the handler in telemetry.Tracing.Handler for its server
// span.
func NewServer(logger *slog.Logger, env endpoint.Env, spec []byte, admit *admission.Middleware, mocks *specmock.Mocks) http.Handler {
	logger = telemetry.WithContextIDs(logger)
	edge := chi.Chain(requestID, accesslog.Middleware(logger, env.Trust.Allows), recoverer(logger), limitURI(env.Metrics.Refused), limitHeaders(env.Metrics.Refused))
	r := chi.NewRouter()
	r.Use(httpx.NoSniff, recoverer(logger))
	compress := httpx.Compress() // in the groups, after admit: a shed answer skips it
	r.Group(func(r chi.Router) {
		r.Use(corsByDevice(env, edge)) // first: a shed or refused request's answer is a page's to read too
		if admit != nil {
			r.Use(admit.Wrap)
		}
		r.Use(edge...)
		r.Use(compress)
		for _, d := range devices.All() {
			r.Route("/"+d.Name, endpoint.Mount(env, d))
		}
	})
	r.Group(func(r chi.Router) {
		r.Use(edge...)
		r.Use(checkQuery)
		r.With(compress).Get("/openapi.yaml", serveSpec(spec))
		r.With(compress).Head("/openapi.yaml", serveSpec(spec))
		r.Mount(docs.Path, docs.Handler("/openapi.yaml")) // compresses its own assets
	})
	mocks.Mount(r) // last: only what no real handler serves
	// The device groups' subrouters call these too, for a request that has
	// been through a group's edge already: it runs once per request.
	missing := notFound(devices.Names(), routesOf(r, devices.Names()))
	r.NotFound(edgeOnce(edge, missing))
	r.MethodNotAllowed(edgeOnce(edge, httpx.MethodNotAllowed(r, missing)))
	return r
}

// corsByDevice applies each device's CORS (endpoint.Env.CORS) to the
// requests under /{device}, read off the path as the router reads it. A
// preflight that CORS answers goes through edge first, so that an operator
// sees it in the access log like any other request; every other request
// meets edge after admission.
func corsByDevice(env endpoint.Env, edge chi.Middlewares) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		byName := map[string]http.Handler{}
		preflights := map[string]http.Handler{} // devices whose CORS answers preflights
		for _, d := range devices.All() {
			byName[d.Name] = env.CORS(d)(next)
			if env.HasCORS(d) {
				preflights[d.Name] = edge.Handler(byName[d.Name])
			}
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name, _, _ := strings.Cut(strings.TrimPrefix(httpx.RoutedPath(r), "/"), "/")
			if h, ok := preflights[name]; ok && httpx.IsPreflight(r) {
				h.ServeHTTP(w, r)
				return
			}
			if h, ok := byName[name]; ok {
				h.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// edgeOnce runs h behind edge, unless the request has been through it:
// then it has a request id (requestID, the edge's first step, sets one).
func edgeOnce(edge chi.Middlewares, h http.HandlerFunc) http.HandlerFunc {
	edged := edge.HandlerFunc(h)
	return func(w http.ResponseWriter, r *http.Request) {
		if reqid.From(r.Context()) != "" {
			h(w, r)
			return
		}
		edged.ServeHTTP(w, r)
	}
}
