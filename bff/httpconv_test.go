package bff_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"mosaic/bff/apitest"
	"mosaic/bff/devices"
	"mosaic/bff/httpx"
)

// varyOf is the set of header names a response's Vary fields list.
func varyOf(h http.Header) []string {
	var names []string
	for _, f := range h.Values("Vary") {
		for n := range strings.SplitSeq(f, ",") {
			if n = http.CanonicalHeaderKey(strings.TrimSpace(n)); n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}

// A big body is compressed for a client that accepts it (and decodes to the
// same JSON, valid against the spec); a tiny one, a HEAD, and a client that
// accepts no coding get identity. Every answer says Vary: Accept-Encoding.
func TestCompression(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	const big = "/web/v1/feed?ps=50"
	plain := srv.Get(t, big)
	if plain.Status != http.StatusOK || plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("Content-Length") != strconv.Itoa(len(plain.Body)) {
		t.Fatalf("no Accept-Encoding: %d, Content-Encoding %q, Content-Length %q for %d bytes", plain.Status, plain.Header.Get("Content-Encoding"), plain.Header.Get("Content-Length"), len(plain.Body))
	}
	for _, tc := range []struct{ accept, coding string }{
		{"gzip", "gzip"},
		{"gzip, deflate, br", "gzip"},
		{"zstd", "zstd"},
		{"gzip, zstd", "zstd"},
		{"gzip;q=1, zstd;q=0.5", "gzip"},
		{"gzip;q=0", ""},
		{"br", ""},
		{"identity", ""},
	} {
		resp := srv.Get(t, big, "Accept-Encoding", tc.accept)
		if got := resp.Header.Get("Content-Encoding"); got != tc.coding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.coding)
		}
		if !bytes.Equal(resp.Body, plain.Body) {
			t.Errorf("Accept-Encoding %q: the decoded body differs from the identity one", tc.accept)
		}
		if tc.coding != "" && resp.Wire*2 > len(resp.Body) {
			t.Errorf("%s: %d bytes on the wire for %d, want at most half", tc.coding, resp.Wire, len(resp.Body))
		}
		if !slices.Contains(varyOf(resp.Header), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Vary %q", tc.accept, resp.Header.Values("Vary"))
		}
	}
	// Below the threshold: a one-card mini feed, problems.
	for _, r := range []apitest.Response{
		srv.Get(t, "/mini/v1/feed?ps=1", "Accept-Encoding", "gzip"),
		srv.Get(t, "/web/v1/feed?ps=x", "Accept-Encoding", "gzip"),
		srv.Get(t, "/web/v1/videos/999999999", "Accept-Encoding", "gzip"),
	} {
		if r.Header.Get("Content-Encoding") != "" || r.Wire != len(r.Body) || len(r.Body) == 0 {
			t.Errorf("%d-byte body (%d): Content-Encoding %q", len(r.Body), r.Status, r.Header.Get("Content-Encoding"))
		}
		if !slices.Contains(varyOf(r.Header), "Accept-Encoding") {
			t.Errorf("%d: Vary %q", r.Status, r.Header.Values("Vary"))
		}
	}
	head := srv.Do(t, http.MethodHead, big, "Accept-Encoding", "gzip")
	if head.Header.Get("Content-Encoding") != "" || head.Header.Get("Content-Length") != strconv.Itoa(len(plain.Body)) {
		t.Errorf("HEAD: Content-Encoding %q, Content-Length %q, want identity of %d bytes", head.Header.Get("Content-Encoding"), head.Header.Get("Content-Length"), len(plain.Body))
	}
}

// Vary names exactly the request headers each device's body depends on:
// every header it lists changes the body for some value (but X-Color,
// which picks colored instances; the test has none), every other one
// leaves it as it was.
func TestVaryPerDevice(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	common := []string{"Accept-Encoding", "X-Color", "X-Mock-Scenario", "X-User-Id"}
	want := map[string][]string{
		"app":  {"Accept-Language", "X-Client-Build", "X-Network"},
		"pad":  {"Accept-Language", "X-Network"},
		"web":  nil,
		"mini": {"Accept-Language", "X-Network"},
	}
	changes := [][2]string{
		{"X-User-Id", "42"}, {"X-Network", "2g"}, {"Accept-Language", "zh-CN"},
		{"X-Client-Build", "7000000"}, {"X-Mock-Scenario", "stat=unavailable"}, {"X-Color", "canary"},
	}
	aid, mid := someVideo(t, srv), busyUser(t, srv)
	for _, dev := range devices.Names() {
		wantVary := slices.Sorted(slices.Values(append(slices.Clone(common), want[dev]...)))
		for _, path := range []string{"/v1/feed", fmt.Sprintf("/v1/videos/%d", aid), fmt.Sprintf("/v1/users/%d", mid)} {
			base := srv.Get(t, "/"+dev+path)
			if got := varyOf(base.Header); !slices.Equal(got, wantVary) {
				t.Errorf("%s%s: Vary %v, want %v", dev, path, got, wantVary)
			}
			if path != "/v1/feed" {
				continue
			}
			for _, c := range changes {
				changed := !bytes.Equal(srv.Get(t, "/"+dev+path, c[0], c[1]).Body, base.Body)
				if listed := slices.Contains(wantVary, c[0]); changed != listed && c[0] != "X-Color" {
					t.Errorf("%s feed: %s: %s changed the body: %v; in Vary: %v", dev, c[0], c[1], changed, listed)
				}
			}
		}
	}
}

// Scene 200s are personal and revalidated: Cache-Control private,
// no-cache and a strong ETag, the same for the same request (its -gzip form
// when compressed); If-None-Match holding the tag this request's 200 would
// carry (alone, in a list, weak, or as *) gets 304 with no body, that
// validator and Vary kept; anything else, another coding's tag included,
// the full 200.
func TestETagAndNotModified(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	const path = "/app/v1/feed?ps=5"
	h := []string{"X-User-Id", "42", "X-Network", "4g"}
	first, again := srv.Get(t, path, h...), srv.Get(t, path, h...)
	etag := first.Header.Get("ETag")
	if etag == "" || etag != again.Header.Get("ETag") || first.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("ETag %q then %q, Cache-Control %q", etag, again.Header.Get("ETag"), first.Header.Get("Cache-Control"))
	}
	if other := srv.Get(t, path, "X-User-Id", "43", "X-Network", "4g").Header.Get("ETag"); other == etag {
		t.Errorf("another viewer's feed has the same ETag %s", etag)
	}
	gz := srv.Get(t, "/app/v1/feed?ps=20", append(h, "Accept-Encoding", "gzip")...)
	gzTag := gz.Header.Get("ETag")
	if gz.Header.Get("Content-Encoding") != "gzip" || !strings.HasSuffix(gzTag, `-gzip"`) {
		t.Fatalf("compressed: Content-Encoding %q, ETag %q", gz.Header.Get("Content-Encoding"), gzTag)
	}
	weak := "W/" + etag
	const gzPath = "/app/v1/feed?ps=20"
	for _, tc := range []struct {
		path, inm, accept string
		want              int
		tag               string // the ETag of the 304
	}{
		{path, etag, "", http.StatusNotModified, etag},
		{path, `"aaaaaaaaaaaaaaaa", ` + etag + `, "b"`, "", http.StatusNotModified, etag},
		{path, `"a,b",` + weak, "", http.StatusNotModified, etag},
		{path, "*", "", http.StatusNotModified, etag},
		{path, `"0000000000000000"`, "", http.StatusOK, etag},
		{path, strings.Trim(etag, `"`), "", http.StatusOK, etag}, // unquoted: malformed, ignored
		{path, etag + " junk", "", http.StatusOK, etag},
		{gzPath, gzTag, "gzip", http.StatusNotModified, gzTag},
		{gzPath, "W/" + gzTag, "gzip", http.StatusNotModified, gzTag},
		{gzPath, "*", "gzip", http.StatusNotModified, gzTag},
		{gzPath, gzTag, "", http.StatusOK, ""},                                         // the gzip tag, identity asked for
		{gzPath, strings.TrimSuffix(gzTag, `-gzip"`) + `"`, "gzip", http.StatusOK, ""}, // the identity tag, gzip asked for
	} {
		hs := append(slices.Clone(h), "If-None-Match", tc.inm)
		if tc.accept != "" {
			hs = append(hs, "Accept-Encoding", tc.accept)
		}
		resp := srv.Get(t, tc.path, hs...)
		if resp.Status != tc.want {
			t.Errorf("If-None-Match %s: %d, want %d", tc.inm, resp.Status, tc.want)
			continue
		}
		if resp.Status == http.StatusOK {
			continue
		}
		if len(resp.Body) != 0 || resp.Header.Get("ETag") != tc.tag || resp.Header.Get("Cache-Control") != "private, no-cache" ||
			!slices.Equal(varyOf(resp.Header), varyOf(first.Header)) || resp.Header.Get("Content-Type") != "" {
			t.Errorf("If-None-Match %s: 304 with %d body bytes, headers %v", tc.inm, len(resp.Body), resp.Header)
		}
	}
	// Two If-None-Match fields are one list; HEAD is conditional too.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Add("If-None-Match", `"x"`)
	req.Header.Add("If-None-Match", etag)
	for k := 0; k+1 < len(h); k += 2 {
		req.Header.Set(h[k], h[k+1])
	}
	if resp := srv.Send(t, req, true); resp.Status != http.StatusNotModified {
		t.Errorf("If-None-Match in two fields: %d", resp.Status)
	}
	if resp := srv.Do(t, http.MethodHead, path, append(h, "If-None-Match", etag)...); resp.Status != http.StatusNotModified {
		t.Errorf("HEAD with If-None-Match: %d", resp.Status)
	}
}

// If-Match is evaluated before If-None-Match, strongly, against the tag
// this request's 200 would carry: held, or *, the screen is served; any
// other, weak, another coding's or malformed, a 412 problem naming it.
func TestIfMatch(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	const path = "/app/v1/feed?ps=20"
	h := []string{"X-User-Id", "42", "X-Network", "4g"}
	etag := srv.Get(t, path, h...).Header.Get("ETag")
	gzTag := srv.Get(t, path, append(h, "Accept-Encoding", "gzip")...).Header.Get("ETag")
	if etag == "" || !strings.HasSuffix(gzTag, `-gzip"`) {
		t.Fatalf("tags %q and %q", etag, gzTag)
	}
	for _, tc := range []struct {
		im, inm, accept string
		want            int
	}{
		{etag, "", "", http.StatusOK},
		{"*", "", "", http.StatusOK},
		{`"aaaaaaaaaaaaaaaa", ` + etag, "", "", http.StatusOK},
		{gzTag, "", "gzip", http.StatusOK},
		{etag, etag, "", http.StatusNotModified}, // both hold: If-None-Match then decides
		{`"aaaaaaaaaaaaaaaa"`, "", "", http.StatusPreconditionFailed},
		{"W/" + etag, "", "", http.StatusPreconditionFailed},
		{etag, "", "gzip", http.StatusPreconditionFailed}, // the identity tag, gzip asked for
		{etag + ` "x"`, "", "", http.StatusPreconditionFailed},
		{`"aaaaaaaaaaaaaaaa"`, etag, "", http.StatusPreconditionFailed}, // If-Match first
	} {
		hs := append(slices.Clone(h), "If-Match", tc.im)
		if tc.inm != "" {
			hs = append(hs, "If-None-Match", tc.inm)
		}
		if tc.accept != "" {
			hs = append(hs, "Accept-Encoding", tc.accept)
		}
		resp := srv.Get(t, path, hs...)
		if resp.Status != tc.want {
			t.Errorf("If-Match %s, If-None-Match %q, Accept-Encoding %q: %d, want %d", tc.im, tc.inm, tc.accept, resp.Status, tc.want)
			continue
		}
		if resp.Status == http.StatusPreconditionFailed && (!strings.Contains(string(resp.Body), `"param":"If-Match"`) || resp.Header.Get("ETag") != "") {
			t.Errorf("If-Match %s: 412 with ETag %q and body %s, want a problem naming If-Match and no validator", tc.im, resp.Header.Get("ETag"), resp.Body)
		}
	}
}

// Errors are never stored, and carry no validator.
func TestErrorsAreNotStored(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	for _, tc := range []struct {
		path    string
		headers []string
		status  int
	}{
		{"/web/v1/feed?ps=0", nil, http.StatusBadRequest},
		{"/web/v1/feed", []string{"X-Network", "lte"}, http.StatusBadRequest},
		{"/tv/v1/feed", nil, http.StatusNotFound},
		{"/web/v1/videos/999999999", nil, http.StatusNotFound},
		{"/web/v1/feed", []string{"X-Mock-Scenario", "archive=unavailable"}, http.StatusServiceUnavailable},
		{"/web/v1/feed", []string{"X-Mock-Scenario", "feed=timeout"}, http.StatusGatewayTimeout},
	} {
		resp := srv.Get(t, tc.path, tc.headers...)
		if resp.Status != tc.status || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("ETag") != "" {
			t.Errorf("%s %v: %d, Cache-Control %q, ETag %q; want %d, no-store, none", tc.path, tc.headers, resp.Status, resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"), tc.status)
		}
	}
}

// HEAD is served wherever GET is, with the GET's status and headers
// (Content-Length included, where the GET knows it) and no body.
func TestHeadWhereverGet(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	aid, mid := someVideo(t, srv), busyUser(t, srv)
	// The notifications are served from the spec in mock mode (bff/specmock).
	paths := []string{"/openapi.yaml", "/docs", "/docs/", "/docs/swagger-ui.css", "/web/v1/notifications?ps=3"}
	for _, dev := range devices.Names() {
		paths = append(paths, "/"+dev+"/v1/feed", fmt.Sprintf("/%s/v1/videos/%d", dev, aid), fmt.Sprintf("/%s/v1/users/%d?page=2", dev, mid))
	}
	same := []string{"Content-Type", "Content-Length", "ETag", "Cache-Control", "Content-Encoding"}
	send := func(method, path string) apitest.Response {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-User-Id", "42")
		// The spec describes the scenes; the reference page and the spec
		// itself (which kin-openapi would read as YAML) it does not.
		scene := !strings.HasPrefix(path, "/docs") && path != "/openapi.yaml"
		return srv.Send(t, req, scene && method == http.MethodGet)
	}
	for _, path := range paths {
		get, head := send(http.MethodGet, path), send(http.MethodHead, path)
		if get.Status != http.StatusOK || head.Status != get.Status || len(head.Body) != 0 {
			t.Errorf("%s: GET %d, HEAD %d with %d body bytes", path, get.Status, head.Status, len(head.Body))
			continue
		}
		for _, name := range same {
			if head.Header.Get(name) != get.Header.Get(name) {
				t.Errorf("%s: %s %q on HEAD, %q on GET", path, name, head.Header.Get(name), get.Header.Get(name))
			}
		}
		if !slices.Equal(varyOf(head.Header), varyOf(get.Header)) {
			t.Errorf("%s: Vary %v on HEAD, %v on GET", path, varyOf(head.Header), varyOf(get.Header))
		}
		if cl := get.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(get.Body)) {
			t.Errorf("%s: Content-Length %s for %d bytes", path, cl, len(get.Body))
		}
		if scene := strings.Contains(path, "/v1/") && !strings.Contains(path, "notifications"); scene && get.Header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", path)
		}
	}
	if resp := srv.Do(t, http.MethodPost, "/web/v1/feed"); resp.Status != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
}

// A 405 is for a path that is served, to other methods: a method chi does
// not know on a path served nowhere is the 404 of any method there, on
// both listeners.
func TestAnUnknownMethodOnAnUnknownPathIsA404(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	for _, tc := range []struct {
		admin        bool
		method, path string
		status       int
	}{
		{false, "FOO", "/web/v1/feed", http.StatusMethodNotAllowed},
		{false, "PROPFIND", "/app/v1/videos/1", http.StatusMethodNotAllowed},
		{false, "FOO", "/docs/", http.StatusMethodNotAllowed},
		{false, "FOO", "/nope", http.StatusNotFound},
		{false, "FOO", "/web/v1/nope", http.StatusNotFound},
		{false, http.MethodPost, "/nope", http.StatusNotFound},
		{true, "FOO", "/metrics", http.StatusMethodNotAllowed},
		{true, "FOO", "/nope", http.StatusNotFound},
	} {
		h := srv.Handler
		if tc.admin {
			h = srv.Admin
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		allow := rec.Header().Get("Allow")
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/problem+json" || (allow != "") != (tc.status == http.StatusMethodNotAllowed) {
			t.Errorf("%s %s (admin %v): %d %q, Allow %q; want a %d problem", tc.method, tc.path, tc.admin, rec.Code, rec.Header().Get("Content-Type"), allow, tc.status)
		}
	}
}

// The ETag a scene carries is the one httpx derives from its bytes, so a
// client holding the body can tell.
func TestETagIsTheBodysHash(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	resp := srv.Get(t, "/mini/v1/feed")
	if got, want := resp.Header.Get("ETag"), httpx.ETag(resp.Body); got != want {
		t.Errorf("ETag %s, want the body's %s", got, want)
	}
}

// Every answer of both listeners tells browsers not to guess its type:
// scenes, problems of every kind, the spec, the reference page, metrics.
func TestEveryAnswerForbidsSniffing(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/web/v1/feed", http.StatusOK},
		{http.MethodHead, "/app/v1/videos/1", http.StatusOK},
		{http.MethodGet, "/web/v1/feed?ps=x", http.StatusBadRequest},
		{http.MethodGet, "/tv/v1/feed", http.StatusNotFound},
		{http.MethodGet, "/web/v1/videos/999999999", http.StatusNotFound},
		{http.MethodPost, "/web/v1/feed", http.StatusMethodNotAllowed},
		{http.MethodGet, "/web/v1/feed?q=" + strings.Repeat("x", 3000), http.StatusRequestURITooLong},
		{http.MethodGet, "/openapi.yaml", http.StatusOK},
		{http.MethodGet, "/docs/", http.StatusOK},
		{http.MethodGet, "/web/v1/notifications", http.StatusOK},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		if rec.Code != tc.status || rec.Result().Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %.60s: %d, X-Content-Type-Options %q; want %d, nosniff", tc.method, tc.path, rec.Code, rec.Result().Header.Get("X-Content-Type-Options"), tc.status)
		}
	}
	for _, path := range []string{"/metrics", "/readyz", "/debug/pprof/", "/nowhere"} {
		rec := httptest.NewRecorder()
		srv.Admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Result().Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("admin %s: %d, X-Content-Type-Options %q, want nosniff", path, rec.Code, rec.Result().Header.Get("X-Content-Type-Options"))
		}
	}
}

// A request with a body gets its answer on a connection closed after it:
// the server reads none of the body it never wanted (httpx.CloseIfBody, in
// front of the whole public handler). The test server has no ReadTimeout:
// without it, the connection would wait on the body for as long as the
// client keeps it open.
func TestABodyClosesTheConnectionAfterTheAnswer(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /web/v1/feed HTTP/1.1\r\nHost: mosaic\r\nContent-Length: 1000\r\n\r\n{")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("status %d, close %v; want 200 on a connection to close", resp.StatusCode, resp.Close)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("after the answer: %v, want the connection closed", err)
	}
}
