package endpoint

import (
	"net/http"
	"strings"

	"mosaic/bff/httpx"
)

// everyScene are the request headers every scene body depends on, whatever
// the device: the viewer, and the traffic color, which picks the
// instances that answer (a canary may answer differently).
var everyScene = []string{"X-User-Id", "X-Color"}

// varyOn is the Vary of dev's scene responses: exactly the request headers
// its bodies depend on, so that a cache keys on those and no others (the
// web, whose body ignores the network and the language, is not stored once
// per network class). Compression adds Accept-Encoding, CORS Origin.
func (env Env) varyOn(dev Device) string {
	h := append(append([]string{}, everyScene...), dev.Vary...)
	if env.CheckScenario != nil {
		h = append(h, "X-Mock-Scenario")
	}
	return strings.Join(h, ", ")
}

// vary sets Vary on every answer of the routes it wraps, errors included.
func vary(value string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", value)
			next.ServeHTTP(w, r)
		})
	}
}

// HasCORS reports whether CORS answers for dev's routes: a browser device,
// with origins to allow.
func (env Env) HasCORS(dev Device) bool { return dev.CORS && len(env.CORSOrigins) > 0 }

// CORS opens dev's routes to scripts on env.CORSOrigins when dev is a
// browser, for the request headers those routes read from one. X-User-Id is
// not among them: the gateway sets it, a page must not. traceparent and
// tracestate are, for pages whose tracing joins the gateway's trace. It
// goes in front of whatever may answer for the routes (admission, the
// request limits), so that a page can read those answers too: a shed 503's
// Retry-After is for the script to honor.
func (env Env) CORS(dev Device) func(http.Handler) http.Handler {
	if !env.HasCORS(dev) {
		return httpx.CORS(nil, nil)
	}
	headers := []string{"X-Network", "Accept-Language", "X-Color", "X-Request-Id", "If-None-Match", "If-Match", "traceparent", "tracestate"}
	if dev.Builds {
		headers = append(headers, "X-Client-Build")
	}
	if env.CheckScenario != nil {
		headers = append(headers, "X-Mock-Scenario")
	}
	return httpx.CORS(env.CORSOrigins, headers)
}

// showTiming: Server-Timing names every internal service and method and
// how long each took, which is for developers: in mock mode, for trusted
// peers (the gateway, whose operators may see it; the same peers may set
// X-User-Id), or for everyone when the operator says so. The public gets
// none by default.
func (env Env) showTiming(r *http.Request) bool {
	return env.ServerTiming || env.CheckScenario != nil || env.Trust.Allows(r.RemoteAddr)
}
