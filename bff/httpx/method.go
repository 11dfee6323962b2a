package httpx

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/problem"
)

// MethodNotAllowed is routes' answer to a method it does not serve: a 405
// where a route serves the path, notFound's answer where none does. chi
// sends every method it does not know (FOO, PROPFIND) to its 405 whatever
// the path, so a path that exists nowhere would be answered with an Allow
// header for it.
func MethodNotAllowed(routes chi.Routes, notFound http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !routes.Match(chi.NewRouteContext(), http.MethodGet, RoutedPath(r)) {
			notFound(w, r)
			return
		}
		problem.MethodNotAllowed(w, r)
	}
}
