package request

import (
	"net/http"
	"net/url"
	"strings"

	"mosaic/bff/problem"
)

// maxParams is url.ParseQuery's own bound (Go 1.24's urlmaxqueryparams).
const maxParams = 10000

// Query reads the parameters named from a raw query string (r.URL.RawQuery),
// each "" when absent. It refuses what url.ParseQuery lets through
// silently: a pair it cannot decode (a bad %-escape, which ParseQuery drops,
// or a ';', which it drops while other servers read it as a separator), and
// a named parameter given more than once (?ps=5&ps=abc, where url.Values.Get
// would take the first and a proxy or cache in front might take the last).
// Parameters not named may repeat: the route does not read them. More than
// maxParams pieces between '&'s are refused too: past that, url.ParseQuery
// (and so r.URL.Query(), which a handler may read after this check) fails
// and answers with no parameter at all.
func Query(raw string, names ...string) (map[string]string, error) {
	if strings.Count(raw, "&")+1 > maxParams {
		return nil, bad("query", "has more than %d parameters", maxParams)
	}
	out := make(map[string]string, len(names))
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return nil, bad("query", "%q contains ';', which servers read differently; separate parameters with '&'", problem.Clip(pair))
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, bad("query", "malformed escape in the name %q", problem.Clip(k))
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			param := problem.Clip(key)
			if param == "" {
				param = "query"
			}
			return nil, bad(param, "malformed escape in %q", problem.Clip(v))
		}
		if !named(key, names) {
			continue
		}
		if _, seen := out[key]; seen {
			return nil, bad(key, "given more than once; send it once")
		}
		out[key] = value
	}
	return out, nil
}

func named(key string, names []string) bool {
	for _, n := range names {
		if key == n {
			return true
		}
	}
	return false
}

// Single returns the value of a single-valued header, "" when absent. Sent
// more than once, it is refused: which of the values counts differs between
// servers and proxies (Go's Header.Get takes the first), so no choice is
// safe.
func Single(h http.Header, name string) (string, error) {
	switch v := h.Values(name); len(v) {
	case 0:
		return "", nil
	case 1:
		return v[0], nil
	default:
		return "", bad(name, "sent %d times; send it once", len(v))
	}
}
