package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/cors"

	"mosaic/dto"
)

// exposed are the response headers a script on an allowed origin may read
// beyond the CORS-safelisted ones: the validator to revalidate with, the
// request id to quote in a bug report, the timings when they are sent, and
// how long to wait after a 503.
var exposed = []string{"ETag", "X-Request-Id", "Server-Timing", "Retry-After"}

// preflightCache is how long a browser may reuse a preflight answer
// (Access-Control-Max-Age; Chromium caps it at 2h, Firefox at 24h).
const preflightCache = 10 * time.Minute

// CORS lets scripts on origins call the routes it wraps with GET and HEAD,
// sending headers (the request headers those routes read); preflights are
// answered here and never reach the routes. A request from any other
// origin gets no CORS header at all, so the browser refuses it. No origins
// means no CORS: the routes answer as to any non-browser client.
//
// Credentials are not allowed: mosaic reads no cookie and no
// Authorization, the viewer's identity is X-User-Id, which the gateway sets
// after authenticating the user (and which mosaic honors only from the
// gateway's addresses). A browser's credentials would buy nothing here, and
// allowing them would let every listed origin read personalized answers on
// the strength of cookies it does not own; if a gateway authenticates by
// cookie, that decision is the gateway's, made where the cookie lives.
func CORS(origins, headers []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	o := cors.Options{
		AllowedMethods:       []string{http.MethodGet, http.MethodHead},
		AllowedHeaders:       headers,
		ExposedHeaders:       exposed,
		AllowCredentials:     false,
		MaxAge:               int(preflightCache / time.Second),
		OptionsSuccessStatus: http.StatusNoContent,
	}
	if containsStar(origins) {
		o.AllowedOrigins = origins
	} else {
		o.AllowOriginFunc = allows(origins)
	}
	c := cors.New(o)
	return func(next http.Handler) http.Handler {
		h := c.Handler(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, unambiguous(r))
		})
	}
}

// unambiguous is r without its Origin when r sends Origin or
// Access-Control-Request-Method more than once: rs/cors judges the first
// value and copies them all into its answer, so an allowed origin beside a
// refused one got both named as allowed, and GET beside POST both allowed
// as methods. A browser sends each once; two are no browser's request, and
// get no CORS header at all, as a refused origin does.
func unambiguous(r *http.Request) *http.Request {
	if len(r.Header.Values("Origin")) <= 1 && len(r.Header.Values("Access-Control-Request-Method")) <= 1 {
		return r
	}
	r = r.Clone(r.Context())
	r.Header.Del("Origin")
	return r
}

// allows matches an Origin against origins as ParseOrigins returns them.
// Only an origin as a browser serializes it can match: a '*' stands for
// one or more DNS labels, never for text such as "evil.com#", which a
// plain suffix match would let through and echo back.
func allows(origins []string) func(string) bool {
	return func(origin string) bool {
		if !serialized(origin) {
			return false
		}
		for _, o := range origins {
			prefix, suffix, wild := strings.Cut(o, "*")
			if !wild && o == origin {
				return true
			}
			if wild && len(origin) > len(prefix)+len(suffix) && strings.HasPrefix(origin, prefix) && strings.HasSuffix(origin, suffix) &&
				dto.HostName(origin[len(prefix):len(origin)-len(suffix)]) {
				return true
			}
		}
		return false
	}
}

// serialized reports whether s is an origin as browsers send it: http or
// https, "://", a lower-case host (DNS labels, a final dot allowed, or an
// IPv6 literal), an optional port, nothing else.
func serialized(s string) bool {
	host, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if host, ok = strings.CutPrefix(s, "http://"); !ok {
			return false
		}
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		port := host[i+1:]
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return false
		}
		host = host[:i]
	}
	if ip, ok := strings.CutPrefix(host, "["); ok {
		ip, ok = strings.CutSuffix(ip, "]")
		return ok && ip != "" && strings.Trim(ip, "0123456789abcdef:.") == ""
	}
	return host == strings.ToLower(host) && dto.HostName(host)
}

// IsPreflight reports whether r is a CORS preflight, as CORS's handler
// tells one: OPTIONS asking for a method.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

// ParseOrigins reads a comma-separated list of origins as -cors-origins
// takes it: each scheme://host[:port] with http or https, nothing after
// the authority, at most one '*' in the host for a family of subdomains
// (https://*.example.com); or "*" alone for any origin. Empty is none.
// Origins come back in lower case and without the scheme's default port,
// as browsers send them: https://m.example.com:443 would never match.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if err := checkOrigin(o); err != nil {
			return nil, fmt.Errorf("origin %q: %w", o, err)
		}
		o = strings.ToLower(o) // as browsers send it
		if p, ok := strings.CutSuffix(o, ":443"); ok && strings.HasPrefix(o, "https://") {
			o = p
		} else if p, ok := strings.CutSuffix(o, ":80"); ok && strings.HasPrefix(o, "http://") {
			o = p
		}
		out = append(out, o)
	}
	if len(out) > 1 && containsStar(out) {
		return nil, errors.New(`"*" allows every origin: give it alone`)
	}
	return out, nil
}

func containsStar(origins []string) bool {
	for _, o := range origins {
		if o == "*" {
			return true
		}
	}
	return false
}

func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(strings.Replace(o, "*", "wildcard", 1))
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("the scheme must be http or https")
	case u.Host == "" || u.User != nil:
		return errors.New("want scheme://host[:port]")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#"):
		return errors.New("an origin has no path, query or fragment")
	case strings.Count(o, "*") > 1:
		return errors.New("at most one '*'")
	}
	return nil
}
