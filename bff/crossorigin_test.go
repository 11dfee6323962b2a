package bff_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic/bff"
	"mosaic/bff/admission"
	"mosaic/bff/apitest"
	"mosaic/bff/request"
	"mosaic/mocks/logbuf"
)

const allowedOrigin = "https://m.example.com"

// preflight asks, as a browser does before a GET with custom headers,
// whether origin may send headers (lower case, sorted, comma-separated, as
// the Fetch standard has browsers send them) to path with method.
func preflight(t *testing.T, srv *apitest.Server, path, origin, method, headers string) apitest.Response {
	t.Helper()
	return srv.Do(t, http.MethodOptions, path, "Origin", origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", headers)
}

// A page on an allowed origin may call the web routes: its preflight is
// answered for GET and HEAD and the headers the web reads, and the answer
// exposes the headers a script needs. A refused origin, a header the web
// does not take from a browser (X-User-Id), a method it does not serve, or
// another device get no CORS header at all.
func TestCORSForTheWeb(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{CORSOrigins: []string{allowedOrigin, "https://*.example.org"}})
	const reads = "accept-language,if-match,if-none-match,x-color,x-network,x-request-id"
	for _, tc := range []struct {
		name, path, origin, method, headers string
		allowed                             bool
	}{
		{"feed", "/web/v1/feed", allowedOrigin, "GET", reads, true},
		{"video, HEAD", "/web/v1/videos/1", allowedOrigin, "HEAD", "x-network", true},
		{"wildcard subdomain", "/web/v1/users/1", "https://qa.example.org", "GET", "x-color", true},
		{"mock scenario in mock mode", "/web/v1/feed", allowedOrigin, "GET", "x-mock-scenario", true},
		{"refused origin", "/web/v1/feed", "https://evil.example.net", "GET", "x-network", false},
		{"origin of another scheme", "/web/v1/feed", "http://m.example.com", "GET", "x-network", false},
		{"identity header", "/web/v1/feed", allowedOrigin, "GET", "x-network,x-user-id", false},
		{"build header", "/web/v1/feed", allowedOrigin, "GET", "x-client-build", false},
		{"method", "/web/v1/feed", allowedOrigin, "POST", "x-network", false},
		{"another device", "/app/v1/feed", allowedOrigin, "GET", "x-network", false},
		{"mini", "/mini/v1/feed", allowedOrigin, "GET", "x-network", false},
	} {
		resp := preflight(t, srv, tc.path, tc.origin, tc.method, tc.headers)
		h := resp.Header
		if !tc.allowed {
			for name := range h {
				if strings.HasPrefix(name, "Access-Control-") {
					t.Errorf("%s: %s %q sent to a refused preflight", tc.name, name, h.Get(name))
				}
			}
			continue
		}
		if resp.Status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != tc.origin ||
			h.Get("Access-Control-Allow-Methods") != tc.method || h.Get("Access-Control-Allow-Headers") != tc.headers ||
			h.Get("Access-Control-Max-Age") != "600" || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%s: preflight %d %v", tc.name, resp.Status, h)
		}
		if !slices.Contains(varyOf(h), "Origin") {
			t.Errorf("%s: preflight Vary %v", tc.name, varyOf(h))
		}
	}

	// The request itself: the allowed origin may read the body and the
	// exposed headers; a refused one gets the same body (CORS is the
	// browser's to enforce) and no permission.
	resp := srv.Get(t, "/web/v1/feed", "Origin", allowedOrigin)
	exposed := strings.Split(resp.Header.Get("Access-Control-Expose-Headers"), ", ")
	for _, want := range []string{"Etag", "X-Request-Id", "Server-Timing", "Retry-After"} {
		if !slices.Contains(exposed, want) {
			t.Errorf("Access-Control-Expose-Headers %q lacks %s", exposed, want)
		}
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != allowedOrigin || resp.Header.Get("Access-Control-Allow-Credentials") != "" || !slices.Contains(varyOf(resp.Header), "Origin") {
		t.Errorf("allowed GET: %v", resp.Header)
	}
	if resp := srv.Get(t, "/web/v1/feed", "Origin", "https://evil.example.net"); resp.Status != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("refused GET: %d, Access-Control-Allow-Origin %q", resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp := srv.Get(t, "/app/v1/feed", "Origin", allowedOrigin); resp.Header.Get("Access-Control-Allow-Origin") != "" || slices.Contains(varyOf(resp.Header), "Origin") {
		t.Errorf("app GET with an Origin: %v", resp.Header)
	}
}

// Without -cors-origins there is no CORS: a preflight is a method the
// routes do not serve.
func TestNoCORSByDefault(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	resp := preflight(t, srv, "/web/v1/feed", allowedOrigin, "GET", "x-network")
	if resp.Status != http.StatusMethodNotAllowed || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight without origins: %d %v", resp.Status, resp.Header)
	}
}

// Server-Timing is for developers: in mock mode whoever asks, in real mode
// the trusted peers, or everyone with -server-timing; never the public by
// default.
func TestServerTimingOnlyForDevelopers(t *testing.T) {
	elsewhere := request.Trust{netip.MustParsePrefix("10.0.0.0/8")} // not the test's loopback
	for _, tc := range []struct {
		name string
		opts apitest.Options
		want bool
	}{
		{"mock mode, untrusted caller", apitest.Options{Trust: elsewhere}, true},
		{"real mode, trusted caller", apitest.Options{RealMode: true}, true},
		{"real mode, untrusted caller", apitest.Options{RealMode: true, Trust: elsewhere}, false},
		{"real mode, untrusted caller, -server-timing", apitest.Options{RealMode: true, Trust: elsewhere, ServerTiming: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := apitest.Start(t, tc.opts)
			for _, path := range []string{"/web/v1/feed", fmt.Sprintf("/app/v1/users/%d", busyUser(t, srv))} {
				resp := srv.Get(t, path)
				if got := resp.Header.Get("Server-Timing"); (got != "") != tc.want || tc.want && !strings.Contains(got, "archive.") {
					t.Errorf("%s: Server-Timing %q, want it sent: %v", path, got, tc.want)
				}
			}
		})
	}
}

type page struct {
	Page     int               `json:"page"`
	PS       int               `json:"ps"`
	Total    int64             `json:"total"`
	Cards    []json.RawMessage `json:"cards"`
	Archives []json.RawMessage `json:"archives"`
	HasMore  bool              `json:"has_more"`
}

func getPage(t *testing.T, srv *apitest.Server, path string, headers ...string) page {
	t.Helper()
	resp := srv.Get(t, path, headers...)
	if resp.Status != http.StatusOK {
		t.Fatalf("%s: %d %s", path, resp.Status, resp.Body)
	}
	var p page
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// A feed page says whether another follows: yes while the recommender
// fills pages, even when hidden archives leave this one short; no when it
// runs dry, and on the last page a client may ask for.
func TestFeedHasMore(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	short := 0
	for n := 1; n <= 30 && short == 0; n++ {
		p := getPage(t, srv, fmt.Sprintf("/web/v1/feed?ps=50&page=%d", n))
		if !p.HasMore {
			t.Fatalf("page %d of an endless feed: has_more false", n)
		}
		if len(p.Cards) < p.PS {
			short = n
		}
	}
	if short == 0 {
		t.Fatal("no page of 30 held fewer cards than ps: the dataset hides nothing?")
	}
	if p := getPage(t, srv, "/web/v1/feed", "X-Mock-Scenario", "feed=empty"); p.HasMore || len(p.Cards) != 0 {
		t.Errorf("empty recommendation: has_more %v with %d cards", p.HasMore, len(p.Cards))
	}
	if p := getPage(t, srv, fmt.Sprintf("/mini/v1/feed?page=%d", request.MaxPage)); p.HasMore {
		t.Errorf("page %d: has_more true, but the next page is refused", request.MaxPage)
	}
}

// A user page says whether uploads follow it, from the archive service's
// count: yes on every page before the last, even one that hidden uploads
// or a partial listing leave short; no on the last, past it, and when the
// list is degraded.
func TestUserPageHasMore(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	const ps = 7
	mid := userWithHiddenUpload(t, srv, ps)
	_, total := srv.Data.ListByOwner(mid, 1, ps)
	last := int((total + ps - 1) / ps)
	if len(getPage(t, srv, fmt.Sprintf("/pad/v1/users/%d?ps=%d", mid, ps)).Archives) >= ps {
		t.Fatalf("user %d: page 1 is not short of its hidden upload", mid)
	}
	for n := 1; n <= last+1; n++ {
		p := getPage(t, srv, fmt.Sprintf("/pad/v1/users/%d?ps=%d&page=%d", mid, ps, n))
		if want := n < last; p.HasMore != want {
			t.Errorf("page %d of %d (%d uploads, %d shown): has_more %v", n, last, total, len(p.Archives), p.HasMore)
		}
	}
	// A listing that comes back short (archive=partial drops some of it)
	// says nothing about the pages after it: the count does.
	for _, n := range []int{1, last} {
		p := getPage(t, srv, fmt.Sprintf("/pad/v1/users/%d?ps=%d&page=%d", mid, ps, n), "X-Mock-Scenario", "archive=partial")
		if want := n < last; p.HasMore != want {
			t.Errorf("page %d of %d, listed in part: has_more %v", n, last, p.HasMore)
		}
	}
	p := getPage(t, srv, fmt.Sprintf("/pad/v1/users/%d?ps=%d", mid, ps), "X-Mock-Scenario", "archive=unavailable")
	if p.HasMore || p.Total != 0 || len(p.Archives) != 0 {
		t.Errorf("uploads degraded: has_more %v, total %d, %d archives", p.HasMore, p.Total, len(p.Archives))
	}
}

// userWithHiddenUpload is a user with more than one page of ps uploads,
// one of them hidden on the first page.
func userWithHiddenUpload(t *testing.T, srv *apitest.Server, ps int) int64 {
	for _, mid := range srv.Data.Mids() {
		aids, total := srv.Data.ListByOwner(mid, 1, ps)
		if total <= int64(2*ps) {
			continue
		}
		for _, aid := range aids {
			if a, ok := srv.Data.Archive(aid); ok && a.GetState() != 0 {
				return mid
			}
		}
	}
	t.Fatal("no user has a hidden upload on a first page")
	return 0
}

// What answers before the routes do (a shed 503, a 414, a 431) carries the
// web's CORS too: a page reads its status and Retry-After, where without
// it the browser shows the script only a network error.
func TestRefusalsBeforeTheRoutesCarryCORS(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{CORSOrigins: []string{allowedOrigin},
		Admission: admission.Config{Min: 1, Max: 1, QueueWait: -1}, Latency: 100 * time.Millisecond})
	allowed := func(what string, resp apitest.Response, status int) {
		t.Helper()
		if resp.Status != status || resp.Header.Get("Access-Control-Allow-Origin") != allowedOrigin ||
			!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Errorf("%s: %d, CORS %v, want %d readable by the page", what, resp.Status, resp.Header, status)
		}
	}
	allowed("a long URI", srv.Get(t, "/web/v1/feed?junk="+strings.Repeat("x", 3000), "Origin", allowedOrigin), http.StatusRequestURITooLong)
	allowed("long headers", srv.Get(t, "/web/v1/feed", "Origin", allowedOrigin, "Cookie", strings.Repeat("x", bff.MaxHeaderBytes)), http.StatusRequestHeaderFieldsTooLarge)
	if resp := srv.Get(t, "/app/v1/feed?junk="+strings.Repeat("x", 3000), "Origin", allowedOrigin); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("the app's 414 opened to a page: %v", resp.Header)
	}

	answers := make(chan apitest.Response, 8)
	var wg sync.WaitGroup
	for range cap(answers) {
		wg.Go(func() { answers <- srv.Get(t, "/web/v1/feed", "Origin", allowedOrigin) })
	}
	wg.Wait()
	close(answers)
	shed := 0
	for resp := range answers {
		if resp.Status == http.StatusServiceUnavailable {
			shed++
			allowed("a shed request", resp, http.StatusServiceUnavailable)
		}
	}
	if shed == 0 {
		t.Fatal("8 requests at once on an admission of 1 with no queue: none shed")
	}
}

// A preflight that CORS answers is a request like any other to whoever
// runs the service: it gets its access line and a request id.
func TestPreflightGetsAnAccessLine(t *testing.T) {
	var log logbuf.Buffer
	srv := apitest.Start(t, apitest.Options{CORSOrigins: []string{allowedOrigin}, Logger: slog.New(slog.NewJSONHandler(&log, nil))})
	resp := preflight(t, srv, "/web/v1/feed", allowedOrigin, "GET", "x-network")
	id := resp.Header.Get("X-Request-Id")
	if resp.Status != http.StatusNoContent || id == "" {
		t.Fatalf("preflight: %d, X-Request-Id %q", resp.Status, id)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		for line := range strings.SplitSeq(log.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["request_id"] == id {
				if m["method"] != http.MethodOptions || m["status"] != float64(http.StatusNoContent) || m["path"] != "/web/v1/feed" {
					t.Errorf("the preflight's access line: %v", m)
				}
				if n := strings.Count(log.String(), `"request_id":"`+id+`"`); n != 1 {
					t.Errorf("%d lines for one preflight", n)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access line for request %s in:\n%s", id, log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
