package bff

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	"mosaic/bff/problem"
	"mosaic/dto"
)

// notFound names the devices a scene route starts with, so that a client
// with a typo in its device learns the right ones.
func notFound(names []string) http.HandlerFunc {
	list := strings.Join(names, ", ")
	if n := len(names); n > 1 {
		list = strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	return func(w http.ResponseWriter, r *http.Request) {
		problem.NotFound(w, "no route "+r.URL.Path+": devices are "+list)
	}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	problem.Write(w, dto.Problem{Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not served here"})
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
