// Package request parses and validates what a scene request carries: query
// parameters and the headers set by the client and by the gateway.
package request

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"mosaic/bff/device"
	"mosaic/bff/problem"
	"mosaic/clients/contract"
)

// MaxPage bounds deep paging: no screen pages that far, a scraper does.
const MaxPage = 10000

// Params is a validated scene request.
type Params struct {
	Page   int
	PS     int
	Viewer int64 // 0: anonymous
	View   device.View
	// Color is the traffic color (X-Color) routing this request to colored
	// instances; empty for ordinary traffic.
	Color string
	// Scenario is X-Mock-Scenario as sent, when the route reads it (mock
	// mode); Parse checks only that it came once, the mocks validate it.
	Scenario string
}

// Error names the parameter or header that was wrong.
type Error struct {
	Param  string
	Detail string
}

func (e *Error) Error() string { return e.Param + ": " + e.Detail }

func bad(param, format string, args ...any) *Error {
	return &Error{Param: param, Detail: fmt.Sprintf(format, args...)}
}

// Shape is which inputs a route takes beyond the common headers.
type Shape struct {
	// Paged routes take page and ps, with these page sizes; others ignore
	// both (the video page has no page).
	Paged    bool
	PageSize device.PageSize
	// Builds: the client sends X-Client-Build (app and pad).
	Builds bool
	// Scenario: the route reads X-Mock-Scenario (mock mode only).
	Scenario bool
}

// Parse validates r for a route of shape s. X-User-Id is read only when the
// direct peer is trusted (the gateway); from anyone else the request is
// anonymous.
//
// Ambiguous input is refused, not resolved by first-value-wins: a query that
// does not decode, a parameter the route reads given twice, or a
// single-valued header it reads sent twice (see Query and Single). Inputs a
// route does not take are ignored, repeated or not.
func Parse(r *http.Request, s Shape, trust Trust) (Params, error) {
	var p Params
	var names []string // every route refuses a query that does not decode
	if s.Paged {
		names = []string{"page", "ps"}
	}
	q, err := Query(r.URL.RawQuery, names...)
	if err != nil {
		return p, err
	}
	if s.Paged {
		if p.Page, p.PS, err = paging(q, s.PageSize); err != nil {
			return p, err
		}
	}
	if p.View, err = View(r.Header, s.Builds); err != nil {
		return p, err
	}
	color, err := Single(r.Header, "X-Color")
	if err != nil {
		return p, err
	}
	if p.Color, err = Color(color); err != nil {
		return p, err
	}
	if s.Scenario {
		if p.Scenario, err = Single(r.Header, "X-Mock-Scenario"); err != nil {
			return p, err
		}
	}
	if p.Viewer, err = Viewer(r, trust); err != nil {
		return p, err
	}
	return p, nil
}

// Viewer is the X-User-Id a trusted peer asserts: from anyone else the
// request is anonymous (0), whatever the header says, and from a trusted
// peer a malformed or repeated one is an error naming it.
func Viewer(r *http.Request, trust Trust) (int64, error) {
	if !trust.Allows(r.RemoteAddr) {
		return 0, nil
	}
	id, err := Single(r.Header, "X-User-Id")
	if err != nil {
		return 0, err
	}
	return ID("X-User-Id", id, true)
}

// paging validates page and ps, from the query: page from 1 to MaxPage,
// ps positive and clamped to the device's max.
func paging(q map[string]string, size device.PageSize) (page, ps int, err error) {
	if page, err = positive(q, "page", 1); err != nil {
		return 0, 0, err
	}
	if page > MaxPage {
		return 0, 0, bad("page", "must be at most %d, got %s", MaxPage, problem.Clip(q["page"]))
	}
	if ps, err = positive(q, "ps", size.Default); err != nil {
		return 0, 0, err
	}
	return page, min(ps, size.Max), nil // above the device's max is clamped, not rejected
}

// View reads the device headers: X-Network, Accept-Language and, for
// clients with builds, X-Client-Build.
func View(h http.Header, builds bool) (device.View, error) {
	var v device.View
	v.Network = device.WiFi
	s, err := Single(h, "X-Network")
	if err != nil {
		return v, err
	}
	if s != "" {
		n, ok := device.ParseNetwork(strings.ToLower(s))
		if !ok {
			return v, bad("X-Network", "must be one of %s, got %q", device.NetworkList(), problem.Clip(s))
		}
		v.Network = n
	}
	// Accept-Language is a list, so repeated fields are one list (RFC 9110,
	// section 5.3), not ambiguous.
	v.Lang = displayLang(h.Values("Accept-Language"))
	if !builds {
		return v, nil
	}
	if s, err = Single(h, "X-Client-Build"); err != nil {
		return v, err
	}
	if s != "" {
		if v.Build, err = positive64("X-Client-Build", s); err != nil {
			return v, err
		}
	}
	return v, nil
}

// Color validates a traffic color (contract.ValidColor); empty means
// uncolored.
func Color(s string) (string, error) {
	if s != "" && !contract.ValidColor(s) {
		return "", bad("X-Color", "must be 1 to 32 of a-z, 0-9 and '-', got %q", problem.Clip(s))
	}
	return s, nil
}

// PathID parses the positive ID of a path segment. A number has one URL: a
// leading zero ("0008") is refused as a sign is (digits), or a cache in
// front would keep every spelling of a video apart.
func PathID(param, s string) (int64, error) {
	if err := Unpadded(param, s); err != nil {
		return 0, err
	}
	return positive64(param, s)
}

// Unpadded refuses a number written with a leading zero ("08"), one more
// spelling of it in a URL; anything else it leaves to the parser.
func Unpadded(param, s string) error {
	if padded(s) {
		return bad(param, "must be written without leading zeros, got %q", problem.Clip(s))
	}
	return nil
}

// ID parses a positive int64 identifier; empty is 0 when optional.
func ID(param, s string, optional bool) (int64, error) {
	if s == "" && optional {
		return 0, nil
	}
	return positive64(param, s)
}

// positive64 parses a positive int64. A number past int64 is a positive
// integer all the same, so its error says how large one may be instead.
func positive64(param, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case !digits(s):
		return 0, bad(param, "must be a positive integer, got %q", problem.Clip(s))
	case errors.Is(err, strconv.ErrRange) && n > 0:
		return 0, bad(param, "must be at most %d, got %q", int64(math.MaxInt64), problem.Clip(s))
	case err != nil || n <= 0:
		return 0, bad(param, "must be a positive integer, got %q", problem.Clip(s))
	}
	return n, nil
}

// positive parses the positive integer parameter name of q, def when
// absent. Present but empty (?ps=) is not a positive integer: a client that
// meant one sent none, and is told so rather than given the default.
func positive(q map[string]string, name string, def int) (int, error) {
	s, ok := q[name]
	if !ok {
		return def, nil
	}
	return Count(name, s)
}

// Count parses a page size or page number as the scene routes read it. One
// too large for int is still a positive integer: it comes back as
// math.MaxInt, above any bound, for the caller to clamp or refuse.
func Count(param, s string) (int, error) {
	if err := Unpadded(param, s); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) && n > 0 && digits(s) {
		return math.MaxInt, nil
	}
	if err != nil || n < 1 || !digits(s) {
		return 0, bad(param, "must be a positive integer, got %q", problem.Clip(s))
	}
	return n, nil
}

// digits: s is decimal digits only. strconv also takes a sign, and "+8"
// would be one more spelling of every ID and page size, each its own URL
// to a cache in front.
func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// padded: s is digits with a leading zero ("08"), one more spelling of a
// number in a URL. "0" itself is no positive integer, and says so.
func padded(s string) bool { return len(s) > 1 && s[0] == '0' && digits(s) }
