package admin

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"mosaic/bff/problem"
	"mosaic/dto"
)

// Hosts refuses, with 421, a request that names this listener by a host
// other than an IP address, localhost, or one of names. A web page can
// point a name of its own at 127.0.0.1 once a browser has loaded it (DNS
// rebinding) and then read whatever the browser reaches on loopback: an
// operator's kubectl port-forward to the admin port, whose QA page calls
// the scenes from loopback, a trusted proxy, as any viewer it is told.
// Such a request carries the page's name in Host. Probes, scrapers and
// port-forwards name an address, or localhost; a scraper that names the
// pod by DNS needs that name in names.
func Hosts(names []string) func(http.Handler) http.Handler {
	allowed := make([]string, len(names))
	for i, n := range names {
		allowed[i] = strings.ToLower(strings.TrimSuffix(n, "."))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if host := hostOf(r.Host); !local(host) && !slices.Contains(allowed, host) {
				problem.Write(w, dto.Problem{
					Status: http.StatusMisdirectedRequest,
					Param:  "Host",
					Detail: fmt.Sprintf("the admin listener answers to an IP address, localhost, or a name of -admin-hosts, not %q", problem.Clip(r.Host)),
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// hostOf is Host without its port, lowercased, without a trailing dot.
func hostOf(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// local: an IP address, or localhost (RFC 6761: it and its subdomains
// resolve to loopback, never through DNS).
func local(host string) bool {
	return net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost")
}
