// Package httpx holds the HTTP conventions mosaic's public listener keeps
// (README, "HTTP conventions"): compression, validators and conditional
// requests, caching directives, and CORS for browsers. Each piece is a plain
// function or middleware so that the router and the scene handlers compose
// them.
package httpx

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// StatusClientClosed is what a request whose client left before its answer
// is recorded as, in the metrics and the access log (nginx's 499): no one
// receives it, and what failed failed because the client went, so it is
// neither a failed scene nor a degraded one, nor a request shed.
const StatusClientClosed = 499

// ErrShutdown is the cause a server cancels its requests' contexts with
// when its shutdown grace is over (BaseContext). A request cut that way
// failed on the server's side: it is a 503, not a client that left.
var ErrShutdown = errors.New("the server is shutting down: its grace period is over")

// ClientLeft reports whether ctx, a request's context, ended because its
// client left: ended, and not by ErrShutdown.
func ClientLeft(ctx context.Context) bool {
	return ctx.Err() != nil && !errors.Is(context.Cause(ctx), ErrShutdown)
}

// RoutedPath is r's path as chi matches it: the escaped form when there is
// one (RawPath), else Path. Whatever reads a route off a request before
// routing (admission's counts, the device's CORS) must read it so, or a
// request the router sends to one route is counted or served as another.
func RoutedPath(r *http.Request) string {
	if r.URL.RawPath != "" {
		return r.URL.RawPath
	}
	return r.URL.Path
}

// NoSniff has browsers take every answer as the type it names: a body
// that echoes input (a problem's detail, a user's name in a card) is never
// run as a script or shown as HTML, whatever its bytes look like.
func NoSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// CloseIfBody answers a request that sends a body on a connection closed
// after the answer. No route reads one, and Go's server would otherwise
// read up to 256 KB of it after the handler, for as long as the
// ReadTimeout, while the connection holds a slot of the connection cap (a
// client trickling the body it announced holds the slot that long).
func CloseIfBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 { // -1: chunked, or no length given
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		next.ServeHTTP(w, r)
		// After the answer Go closes the body, reading what is left of
		// it; a deadline passed already ends that read at once. Set
		// after the handler, it cannot touch the request it serves.
		http.NewResponseController(w).SetReadDeadline(time.Now())
	})
}
