package specmock

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Mount routes, on r, each marked operation that r does not already serve
// (same method, same path up to parameter names), and returns those it
// routed as "METHOD /path". Call it once every real route is on r: real
// code always wins. A nil Mocks mounts nothing.
//
// A mock lands on the deepest subrouter its path falls under (the web
// group for /web/...), so it gets that group's middleware (CORS, limits,
// caching) exactly as the real handler will.
func (m *Mocks) Mount(r chi.Router) []string {
	if m == nil {
		return nil
	}
	served := map[string]bool{}
	// The walk function never fails, and neither does Walk without one
	// that does.
	_ = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served[method+" "+shape(route)] = true
		return nil
	})
	var mounted []string
	for _, o := range m.ops {
		if served[o.route.Method+" "+shape(o.route.Path)] {
			continue
		}
		sub, rest := deepest(r, o.route.Path)
		sub.Method(o.route.Method, rest, m.handler(o))
		if o.route.Method == http.MethodGet {
			sub.Head(rest, m.handler(o)) // HEAD wherever GET is served
		}
		mounted = append(mounted, o.String())
	}
	return mounted
}

// shape is a route pattern with its parameter names (and chi regexps)
// erased and no trailing slash: /web/v1/videos/{aid} and
// /web/v1/videos/{id:[0-9]+}/ are the same route.
func shape(pattern string) string {
	var b strings.Builder
	depth := 0
	for _, c := range pattern {
		switch {
		case c == '{':
			if depth == 0 {
				b.WriteString("{}")
			}
			depth++
		case c == '}':
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	s := b.String()
	if len(s) > 1 {
		s = strings.TrimSuffix(s, "/")
	}
	return s
}

// deepest descends from r through the subrouters mounted at fixed
// prefixes of path, and returns the last one with the rest of the path.
func deepest(r chi.Router, path string) (chi.Router, string) {
	for _, rt := range r.Routes() {
		prefix, ok := strings.CutSuffix(rt.Pattern, "/*")
		if !ok || prefix == "" || strings.Contains(prefix, "{") || !strings.HasPrefix(path, prefix+"/") {
			continue
		}
		if sub, ok := rt.SubRoutes.(chi.Router); ok {
			return deepest(sub, strings.TrimPrefix(path, prefix))
		}
	}
	return r, path
}
