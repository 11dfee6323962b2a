package qa

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"mosaic/bff/device"
	"mosaic/bff/devicediff"
	"mosaic/bff/problem"
	"mosaic/bff/request"
)

// query is one comparison: the scene path without its device, and what a
// client would send with it.
type query struct {
	Path    string // /v1/feed, /v1/videos/8
	Network string // X-Network, "" for none
	Lang    string // Accept-Language, "" for none
	User    string // X-User-Id, "" for anonymous
	Build   string // X-Client-Build, "" for none
	PS      string // ps, "" for the device default
	Page    string // page, "" for the first
}

// params are the query parameters the page takes, in the order they are
// echoed into links; raw also takes device.
func params() []string { return []string{"path", "network", "lang", "user", "build", "ps", "page"} }

// inputError names the parameter of the page that was wrong.
type inputError struct{ param, detail string }

func (e *inputError) Error() string { return e.param + ": " + e.detail }

func badInput(param, format string, args ...any) *inputError {
	return &inputError{param: param, detail: fmt.Sprintf(format, args...)}
}

// pageQuery decodes the page's query as the public routes do: a pair that
// does not decode, or a ';', is refused naming it, where url.Values would
// drop it and the page would quietly show the defaults.
func pageQuery(r *http.Request) (url.Values, error) {
	if _, err := request.Query(r.URL.RawQuery); err != nil {
		if bad := (*request.Error)(nil); errors.As(err, &bad) {
			return nil, badInput(bad.Param, "%s", bad.Detail)
		}
		return nil, err
	}
	return r.URL.Query(), nil
}

// parseQuery validates the page's parameters before anything is served, so
// a typo gets a 400 naming it rather than four confusing columns. extra are
// further parameters the caller reads itself.
func parseQuery(v url.Values, known func(path string) bool, extra ...string) (query, error) {
	for name := range v {
		if !slices.Contains(params(), name) && !slices.Contains(extra, name) {
			return query{}, badInput(name, "unknown parameter; the page takes %s", strings.Join(append(params(), extra...), ", "))
		}
		if len(v[name]) > 1 {
			return query{}, badInput(name, "given %d times, want once", len(v[name]))
		}
	}
	q := query{Path: v.Get("path"), Network: strings.ToLower(v.Get("network")), Lang: v.Get("lang"),
		User: v.Get("user"), Build: v.Get("build"), PS: v.Get("ps"), Page: v.Get("page")}
	if err := checkPath(q.Path, known); err != nil {
		return query{}, err
	}
	if _, ok := device.ParseNetwork(q.Network); q.Network != "" && !ok {
		return query{}, badInput("network", "must be one of %s, got %q", device.NetworkList(), problem.Clip(q.Network))
	}
	// A list, as a browser sends it: the page passes it on as Accept-Language.
	if _, _, err := language.ParseAcceptLanguage(q.Lang); q.Lang != "" && err != nil {
		return query{}, badInput("lang", "must be an Accept-Language value such as zh-CN or en-US,zh;q=0.9, got %q", problem.Clip(q.Lang))
	}
	for _, p := range []struct {
		name, value string
		parse       func(param, s string) error
	}{{"user", q.User, id}, {"build", q.Build, id}, {"ps", q.PS, count}, {"page", q.Page, count}} {
		if p.value == "" {
			continue
		}
		if err := p.parse(p.name, p.value); err != nil {
			detail := err.Error()
			if bad := (*request.Error)(nil); errors.As(err, &bad) {
				detail = bad.Detail
			}
			return query{}, badInput(p.name, "%s", detail)
		}
	}
	return q, nil
}

// id and count read a parameter as the scene routes do: a page size past
// int64 is one they clamp, so the page passes it on for them to answer.
func id(param, s string) error {
	_, err := request.ID(param, s, false)
	return err
}

func count(param, s string) error {
	_, err := request.Count(param, s)
	return err
}

func checkPath(path string, known func(string) bool) error {
	switch {
	case path == "":
		return badInput("path", "required: a scene path without the device, e.g. /v1/feed, /v1/videos/8, /v1/users/1")
	case !strings.HasPrefix(path, "/"):
		return badInput("path", "must start with /, got %q", problem.Clip(path))
	case strings.ContainsAny(path, "?#"):
		return badInput("path", "must be a path alone, got %q; give ps and page as parameters of this page", problem.Clip(path))
	}
	if _, err := url.ParseRequestURI(path); err != nil {
		return badInput("path", "is not a URL path: %v", err)
	}
	for _, dev := range devicediff.Devices() {
		if strings.HasPrefix(path, "/"+dev+"/") {
			return badInput("path", "%q names a device; give it without, e.g. %s", problem.Clip(path), strings.TrimPrefix(path, "/"+dev))
		}
	}
	if !known(path) {
		return badInput("path", "%q is no scene of api.openapi.yaml for any device", problem.Clip(path))
	}
	return nil
}

// target is the public request for one device: its URL and headers.
func (q query) target(dev string) (string, http.Header) {
	v := url.Values{}
	if q.PS != "" {
		v.Set("ps", q.PS)
	}
	if q.Page != "" {
		v.Set("page", q.Page)
	}
	u := "/" + dev + q.Path
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	h := http.Header{}
	for name, value := range map[string]string{"X-User-Id": q.User, "X-Network": q.Network, "Accept-Language": q.Lang, "X-Client-Build": q.Build} {
		if value != "" {
			h.Set(name, value)
		}
	}
	return u, h
}

// values is q as the page's own parameters, for links and the form.
func (q query) values() url.Values {
	v := url.Values{}
	for name, value := range map[string]string{"path": q.Path, "network": q.Network, "lang": q.Lang, "user": q.User, "build": q.Build, "ps": q.PS, "page": q.Page} {
		if value != "" {
			v.Set(name, value)
		}
	}
	return v
}

// describe is the request in one line, as a client would send it.
func (q query) describe() string {
	u, h := q.target("{" + strings.Join(devicediff.Devices(), ",") + "}")
	return "GET " + u + "  " + devicediff.Describe(h)
}
