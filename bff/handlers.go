package bff

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"mosaic/bff/problem"
	"mosaic/bff/request"
	"mosaic/dto"
)

// notFound says what a client got wrong: under a known device, the routes
// that device serves (a typo in the scene or a missing ID); under anything
// else, the devices there are (a typo in the device).
func notFound(names []string, served map[string][]string) http.HandlerFunc {
	devices := "devices are " + listed(names)
	return func(w http.ResponseWriter, r *http.Request) {
		// The router matches the path as sent, escapes and all: quoting the
		// decoded one would say /web/v1/feed has no route when /%77eb/v1/feed
		// was asked for.
		path, hint := r.URL.EscapedPath(), ""
		if path != r.URL.Path {
			hint = "; the path is matched as sent, percent-escapes included"
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if routes, ok := served[first]; ok {
			problem.NotFound(w, "no route "+path+": "+first+" serves "+listed(routes)+hint)
			return
		}
		problem.NotFound(w, "no route "+path+": "+devices+hint)
	}
}

// routesOf lists the GET patterns r serves under each of the devices
// names, as the router has them, mocked operations included.
func routesOf(r chi.Routes, names []string) map[string][]string {
	served := make(map[string][]string, len(names))
	for _, n := range names {
		served[n] = nil
	}
	chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		first, _, _ := strings.Cut(strings.TrimPrefix(route, "/"), "/")
		if _, ok := served[first]; ok && method == http.MethodGet {
			served[first] = append(served[first], strings.TrimSuffix(route, "/"))
		}
		return nil
	})
	for _, routes := range served {
		slices.Sort(routes)
	}
	return served
}

// listed is "a, b and c".
func listed(items []string) string {
	if n := len(items); n > 1 {
		return strings.Join(items[:n-1], ", ") + " and " + items[n-1]
	}
	return strings.Join(items, "")
}

// checkQuery refuses a query that does not decode on the routes that read
// none, as the scene routes do (request.Query): a malformed %-escape is a
// 400 on any route.
func checkQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := request.Query(r.URL.RawQuery); err != nil {
			var re *request.Error
			if errors.As(err, &re) {
				problem.BadParam(w, re.Param, re.Detail)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func serveSpec(spec []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("Content-Length", strconv.Itoa(len(spec)))
		w.Write(spec)
	}
}

// recoverer turns a panic into a logged 500 problem instead of a dropped
// connection. It is a last resort: input never reaches a panic by design.
func recoverer(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					logger.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
					problem.Write(w, dto.Problem{Status: http.StatusInternalServerError})
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}
