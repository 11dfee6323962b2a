package httpx_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic/bff/httpx"
)

func TestETagShape(t *testing.T) {
	shape := regexp.MustCompile(`^"[0-9a-f]{16}"$`)
	seen := map[string]bool{}
	for _, body := range []string{"", "a", "b", `{"page":1}`, strings.Repeat("x", 1<<16)} {
		tag := httpx.ETag([]byte(body))
		if !shape.MatchString(tag) || tag != httpx.ETag([]byte(body)) || seen[tag] {
			t.Errorf("ETag(%.10q) = %s: malformed, unstable or shared", body, tag)
		}
		seen[tag] = true
	}
}

func TestNoneMatch(t *testing.T) {
	const etag = `"0123456789abcdef"`
	tests := []struct {
		fields []string
		match  bool
	}{
		{[]string{etag}, true},
		{[]string{`W/` + etag}, true},
		{[]string{`*`}, true},
		{[]string{` * `}, true},
		{[]string{`"x", ` + etag}, true},
		{[]string{`"x",` + etag + `,"y"`}, true},
		{[]string{`"a,b", W/` + etag}, true},         // a comma inside a tag
		{[]string{`"x"`, etag}, true},                // two fields, one list
		{[]string{`, ,` + etag + `,`}, true},         // empty list elements
		{[]string{`"0123456789abcdef-gzip"`}, false}, // another representation's
		{[]string{`"0123456789abcdef0"`}, false},     // a longer tag
		{[]string{`"0123456789abcde"`}, false},       // a prefix
		{[]string{`"x"`}, false},
		{[]string{``}, false},
		{[]string{`0123456789abcdef`}, false},       // unquoted: malformed
		{[]string{etag + `x`}, false},               // junk after the tag
		{[]string{`"x" ` + etag}, false},            // a space is no separator
		{[]string{`"x" , ` + etag}, true},           // but OWS around a comma is fine
		{[]string{etag, `bad`}, false},              // wherever the malformed field is
		{[]string{`w/` + etag}, false},              // W/ is case-sensitive
		{[]string{`"unterminated, ` + etag}, false}, // the quote swallows the rest
		{[]string{`"x"`, `bad`, etag}, false},       // a malformed field spoils the list
		{[]string{"\"a\x01\", " + etag}, false},     // a control character
		{[]string{`*, ` + etag}, false},             // * is alone or not at all
		{[]string{`"x"`, `*`}, false},               // in its own field too: the fields are one list
		{[]string{`*`, `*`}, false},
	}
	for _, tt := range tests {
		if got := httpx.NoneMatch(tt.fields, etag); got != tt.match {
			t.Errorf("NoneMatch(%q) = %v, want %v", tt.fields, got, tt.match)
		}
	}
	if !httpx.NoneMatch([]string{`W/"0123456789abcdef-zstd"`}, `"0123456789abcdef-zstd"`) {
		t.Error("an encoded representation's tag does not match itself")
	}
}

func TestWritePersonal(t *testing.T) {
	body := []byte(`{"cards":[]}`)
	etag := httpx.ETag(body)
	for _, tc := range []struct {
		inm  string
		want int
	}{{"", 200}, {`"other"`, 200}, {etag, 304}, {"*", 304}} {
		r := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
		if tc.inm != "" {
			r.Header.Set("If-None-Match", tc.inm)
		}
		w := httptest.NewRecorder()
		code := httpx.WritePersonal(w, r, "application/json", body)
		h := w.Result().Header
		if code != tc.want || w.Code != tc.want || h.Get("ETag") != etag || h.Get("Cache-Control") != "private, no-cache" {
			t.Errorf("If-None-Match %q: %d (said %d), headers %v", tc.inm, w.Code, code, h)
		}
		if want := map[int]string{200: string(body), 304: ""}[tc.want]; w.Body.String() != want || (tc.want == 304) != (h.Get("Content-Type") == "") {
			t.Errorf("If-None-Match %q: body %q, Content-Type %q", tc.inm, w.Body, h.Get("Content-Type"))
		}
	}
}

// Compress encodes a big body, suffixing its ETag; a small one, a HEAD, a
// 304 and a client without gzip get identity with the ETag untouched.
func TestCompress(t *testing.T) {
	big := bytes.Repeat([]byte(`{"title":"a video"},`), 200)
	h := httpx.Compress()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/304" {
			w.Header().Set("ETag", `"t"`)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := big
		if r.URL.Path == "/small" {
			body = big[:100]
		}
		httpx.WritePersonal(w, r, "application/json", body)
	}))
	for _, tc := range []struct {
		method, path, accept string
		gzipped              bool
	}{
		{"GET", "/big", "gzip", true},
		{"GET", "/big", "", false},
		{"GET", "/big", "gzip;q=0", false},
		{"GET", "/small", "gzip", false},
		{"HEAD", "/big", "gzip", false},
		{"GET", "/304", "gzip", false},
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Encoding", tc.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		res := w.Result()
		if got := res.Header.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
			t.Errorf("%s %s (%q): gzipped %v", tc.method, tc.path, tc.accept, got)
		}
		if !slices.Contains(res.Header.Values("Vary"), "Accept-Encoding") {
			t.Errorf("%s %s: Vary %q", tc.method, tc.path, res.Header.Values("Vary"))
		}
		tag := res.Header.Get("ETag")
		if tc.gzipped != strings.HasSuffix(tag, `-gzip"`) {
			t.Errorf("%s %s: ETag %s", tc.method, tc.path, tag)
		}
		if tc.gzipped {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := io.ReadAll(zr); !bytes.Equal(got, big) {
				t.Errorf("gunzipped %d bytes, want the %d sent", len(got), len(big))
			}
			if want := strings.TrimSuffix(httpx.ETag(big), `"`) + `-gzip"`; tag != want {
				t.Errorf("the compressed ETag %s is not its body's, %s", tag, want)
			}
		}
	}
}

func TestParseOrigins(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // nil with ok false for an error
		ok   bool
	}{
		{"", nil, true},
		{" , ", nil, true},
		{"https://m.example.com", []string{"https://m.example.com"}, true},
		{"https://M.Example.com:8443, http://localhost:3000", []string{"https://m.example.com:8443", "http://localhost:3000"}, true},
		{"https://*.example.com", []string{"https://*.example.com"}, true},
		{"*", []string{"*"}, true},
		{"*, https://m.example.com", nil, false},
		{"m.example.com", nil, false},
		{"ftp://m.example.com", nil, false},
		{"https://m.example.com/", nil, false},
		{"https://m.example.com/app", nil, false},
		{"https://m.example.com?x", nil, false},
		{"https://user@m.example.com", nil, false},
		{"https://*.*.example.com", nil, false},
		{"https://m.example.com:*", nil, false},
		// Browsers leave the scheme's default port out of Origin.
		{"https://m.example.com:443, http://localhost:80", []string{"https://m.example.com", "http://localhost"}, true},
		{"https://m.example.com:80, http://localhost:443", []string{"https://m.example.com:80", "http://localhost:443"}, true},
		{"https://*.example.com:443", []string{"https://*.example.com"}, true},
	} {
		got, err := httpx.ParseOrigins(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("ParseOrigins(%q) = %q, %v", tc.in, got, err)
		}
	}
}

// Only an origin as browsers serialize it matches, and a '*' stands for
// DNS labels: a plain suffix match let "https://evil.com#.example.org"
// through, and echoed it back as the allowed origin.
func TestCORSMatchesOnlySerializedOrigins(t *testing.T) {
	origins, err := httpx.ParseOrigins("https://m.example.com:443, https://*.example.org, http://localhost:3000, http://[::1]:8080, https://dev_box.example.net, https://example.net.")
	if err != nil {
		t.Fatal(err)
	}
	h := httpx.CORS(origins, []string{"X-Network"})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for origin, want := range map[string]bool{
		"https://m.example.com":          true,
		"https://a.example.org":          true,
		"https://a.b-c.example.org":      true,
		"http://localhost:3000":          true,
		"http://[::1]:8080":              true,
		"https://dev_box.example.net":    true, // browsers take '_' in a host
		"https://feature_x.example.org":  true,
		"https://example.net.":           true,
		"https://example.net..":          false,
		"https://evil.com#.example.org":  false,
		"https://evil.net/.example.org":  false,
		"https://.example.org":           false,
		"https://example.org":            false,
		"https://-a.example.org":         false,
		"https://a.example.org:8443":     false,
		"https://m.example.com:443":      false, // no browser sends it
		"https://M.example.com":          false,
		"https://m.example.com/":         false,
		"https://m.example.com.evil.net": false,
		"http://localhost:3000:3000":     false,
		"http://localhost:":              false,
		"http://[::1]:8081":              false,
		"null":                           false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil)
		r.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("Access-Control-Allow-Origin"); (got == origin) != want || (got != "" && got != origin) {
			t.Errorf("Origin %q: Access-Control-Allow-Origin %q, want allowed %v", origin, got, want)
		}
	}
}

// An Origin or a preflight's method sent twice is no browser's request:
// no CORS header at all, rather than every value echoed as allowed (rs/cors
// judges the first and copies them all).
func TestCORSRefusesRepeatedOriginsAndMethods(t *testing.T) {
	const allowed = "https://m.example.com"
	h := httpx.CORS([]string{allowed}, []string{"X-Network"})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tc := range []struct {
		name    string
		method  string
		headers [][2]string
	}{
		{"two origins, the allowed first", http.MethodGet, [][2]string{{"Origin", allowed}, {"Origin", "https://evil.example.net"}}},
		{"two origins in a preflight", http.MethodOptions, [][2]string{{"Origin", allowed}, {"Origin", "https://evil.example.net"}, {"Access-Control-Request-Method", "GET"}}},
		{"two methods in a preflight", http.MethodOptions, [][2]string{{"Origin", allowed}, {"Access-Control-Request-Method", "GET"}, {"Access-Control-Request-Method", "POST"}}},
	} {
		r := httptest.NewRequest(tc.method, "/web/v1/feed", nil)
		for _, kv := range tc.headers {
			r.Header.Add(kv[0], kv[1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		for name, v := range w.Header() {
			if strings.HasPrefix(name, "Access-Control-") {
				t.Errorf("%s: %s %q", tc.name, name, v)
			}
		}
		if len(r.Header.Values("Origin")) < 1 {
			t.Errorf("%s: the caller's request lost its Origin", tc.name)
		}
	}
	// One of each is still answered.
	r := httptest.NewRequest(http.MethodOptions, "/web/v1/feed", nil)
	r.Header.Set("Origin", allowed)
	r.Header.Set("Access-Control-Request-Method", "GET")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Header().Get("Access-Control-Allow-Origin") != allowed || w.Header().Get("Access-Control-Allow-Methods") != "GET" {
		t.Errorf("one origin, one method: %v", w.Header())
	}
}

// No origins: the middleware is the identity, preflights go to the routes.
func TestCORSWithoutOrigins(t *testing.T) {
	reached := false
	h := httpx.CORS(nil, []string{"X-Network"})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.WriteHeader(http.StatusMethodNotAllowed)
	}))
	r := httptest.NewRequest(http.MethodOptions, "/web/v1/feed", nil)
	r.Header.Set("Origin", "https://m.example.com")
	r.Header.Set("Access-Control-Request-Method", "GET")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if !reached || w.Code != http.StatusMethodNotAllowed || len(w.Header()) != 0 {
		t.Errorf("reached %v, %d, headers %v", reached, w.Code, w.Header())
	}
}

// FuzzNoneMatch: whatever the fields, NoneMatch does not panic, and a
// match is the tag itself or "*", found in the fields.
func FuzzNoneMatch(f *testing.F) {
	const etag = `"0123456789abcdef"`
	for _, s := range []string{etag, `W/` + etag, `*`, `"a,b", ` + etag, `"`, `W/`, `,,`, `"0123456789abcdef-gzip"`, "\"\x80\""} {
		f.Add(s, "")
	}
	f.Add(`"x"`, etag)
	f.Fuzz(func(t *testing.T, a, b string) {
		fields := []string{a}
		if b != "" {
			fields = append(fields, b)
		}
		if !httpx.NoneMatch(fields, etag) {
			return
		}
		joined := strings.Join(fields, ",")
		if !strings.Contains(joined, etag) && !strings.Contains(joined, "*") {
			t.Fatalf("NoneMatch(%q) matched", fields)
		}
	})
}

// BenchmarkETag: the validator's cost on a 34 KB body (a 50-card web
// feed), against the milliseconds of assembling it.
func BenchmarkETag(b *testing.B) {
	body := bytes.Repeat([]byte(`{"aid":1,"title":"a video","cover":"https://i0.example.com/x.jpg@1280w_720h.webp"},`), 400)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		httpx.ETag(body)
	}
}

// A 304 carries the ETag the 200 to the same request would have (RFC 9110,
// section 15.4.5), whatever coding the request gets; a tag of another
// coding's representation is not this request's, and gets the 200.
func TestA304CarriesTheTagOfThe200ItStandsFor(t *testing.T) {
	big := bytes.Repeat([]byte(`{"title":"a video"},`), 200)
	h := httpx.Compress()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := big
		if r.URL.Path == "/small" {
			body = big[:100]
		}
		httpx.WritePersonal(w, r, "application/json", body)
	}))
	get := func(method, path, accept, inm string) *http.Response {
		r := httptest.NewRequest(method, path, nil)
		if accept != "" {
			r.Header.Set("Accept-Encoding", accept)
		}
		if inm != "" {
			r.Header.Set("If-None-Match", inm)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	base := httpx.ETag(big)
	for _, tc := range []struct{ method, path, accept string }{
		{"GET", "/big", ""}, {"GET", "/big", "gzip"}, {"GET", "/big", "zstd"}, {"GET", "/big", "gzip, zstd"},
		{"GET", "/big", "gzip;q=0"}, {"GET", "/big", "br"}, {"GET", "/big", "zstd;q=0.5, gzip"},
		{"GET", "/small", "gzip"}, {"HEAD", "/big", "gzip"},
	} {
		full := get(tc.method, tc.path, tc.accept, "")
		tag := full.Header.Get("ETag")
		if full.StatusCode != http.StatusOK || tag == "" {
			t.Fatalf("%s %s (%q): %d, ETag %q", tc.method, tc.path, tc.accept, full.StatusCode, tag)
		}
		for _, inm := range []string{tag, "W/" + tag, "*", `"x", ` + tag} {
			if r := get(tc.method, tc.path, tc.accept, inm); r.StatusCode != http.StatusNotModified || r.Header.Get("ETag") != tag {
				t.Errorf("%s %s (%q), If-None-Match %s: %d, ETag %q, want 304 with the 200's %s", tc.method, tc.path, tc.accept, inm, r.StatusCode, r.Header.Get("ETag"), tag)
			}
		}
		for _, other := range []string{base, strings.TrimSuffix(base, `"`) + `-gzip"`, strings.TrimSuffix(base, `"`) + `-zstd"`} {
			if other == tag || tc.path == "/small" {
				continue
			}
			if r := get(tc.method, tc.path, tc.accept, other); r.StatusCode != http.StatusOK {
				t.Errorf("%s %s (%q), If-None-Match %s (another coding's): %d, want the 200 with %s", tc.method, tc.path, tc.accept, other, r.StatusCode, tag)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	const etag = `"0123456789abcdef"`
	for _, tt := range []struct {
		fields []string
		match  bool
	}{
		{[]string{etag}, true},
		{[]string{`*`}, true},
		{[]string{`"x", ` + etag}, true},
		{[]string{`"x"`, etag}, true},
		{[]string{`W/` + etag}, false}, // strong comparison
		{[]string{`"x"`}, false},
		{[]string{etag, `bad`}, false}, // malformed: refused, never performed
		{[]string{``}, false},
		{[]string{`*`, `"x"`}, false}, // "*" beside a tag, in another field: malformed
	} {
		if got := httpx.Match(tt.fields, etag); got != tt.match {
			t.Errorf("Match(%q) = %v, want %v", tt.fields, got, tt.match)
		}
	}
}

// A request that announces a body and sends a byte of it gets its answer at
// once, on a connection closed after it: before, Go's server read the
// rest of the body before it answered, until the ReadTimeout (here 30 s),
// the connection holding a slot of the cap all along.
func TestARequestWithABodyIsAnsweredAndClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:     httpx.CloseIfBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })),
		ReadTimeout: 30 * time.Second,
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	for _, framing := range []string{"Content-Length: 200000", "Transfer-Encoding: chunked"} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "GET /web/v1/feed HTTP/1.1\r\nHost: mosaic\r\n"+framing+"\r\n\r\n1")
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("%s: no answer within 10 s: %v", framing, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if !resp.Close {
			t.Errorf("%s: the answer keeps the connection open", framing)
		}
		if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("%s: after the answer: %v, want the connection closed", framing, err)
		}
	}
	// Without a body, the connection is kept.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /web/v1/feed HTTP/1.1\r\nHost: mosaic\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.Close {
		t.Errorf("no body: %v, close %v; want the connection kept", err, resp != nil && resp.Close)
	}
}
