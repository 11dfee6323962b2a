package httpx_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

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
		fields  []string
		matched string // "" for no match
	}{
		{[]string{etag}, etag},
		{[]string{`W/` + etag}, etag},
		{[]string{`*`}, etag},
		{[]string{` * `}, etag},
		{[]string{`"x", ` + etag}, etag},
		{[]string{`"x",` + etag + `,"y"`}, etag},
		{[]string{`"a,b", W/` + etag}, etag}, // a comma inside a tag
		{[]string{`"x"`, etag}, etag},        // two fields, one list
		{[]string{`, ,` + etag + `,`}, etag}, // empty list elements
		{[]string{`"0123456789abcdef-gzip"`}, `"0123456789abcdef-gzip"`},
		{[]string{`W/"0123456789abcdef-zstd"`}, `"0123456789abcdef-zstd"`},
		{[]string{`"0123456789abcdef-br"`}, ""}, // no coding of ours
		{[]string{`"0123456789abcdef0"`}, ""},   // a longer tag
		{[]string{`"0123456789abcde"`}, ""},     // a prefix
		{[]string{`"x"`}, ""},
		{[]string{``}, ""},
		{[]string{`0123456789abcdef`}, ""},       // unquoted: malformed
		{[]string{etag + `x`}, ""},               // junk after the tag
		{[]string{`"x" ` + etag}, ""},            // a space is no separator
		{[]string{`"x" , ` + etag}, etag},        // but OWS around a comma is fine
		{[]string{etag, `bad`}, ""},              // wherever the malformed field is
		{[]string{`w/` + etag}, ""},              // W/ is case-sensitive
		{[]string{`"unterminated, ` + etag}, ""}, // the quote swallows the rest
		{[]string{`"x"`, `bad`, etag}, ""},       // a malformed field spoils the list
		{[]string{"\"a\x01\", " + etag}, ""},     // a control character
		{[]string{`*, ` + etag}, ""},             // * is alone or not at all
	}
	for _, tt := range tests {
		got, ok := httpx.NoneMatch(tt.fields, etag)
		if ok != (tt.matched != "") || got != tt.matched {
			t.Errorf("NoneMatch(%q) = %q, %v; want %q", tt.fields, got, ok, tt.matched)
		}
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
			if n, _ := httpx.NoneMatch([]string{tag}, httpx.ETag(big)); n != tag {
				t.Errorf("the compressed ETag %s does not match its body's", tag)
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
	} {
		got, err := httpx.ParseOrigins(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("ParseOrigins(%q) = %q, %v", tc.in, got, err)
		}
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
// match is one of our three forms of the tag, found in the fields.
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
		got, ok := httpx.NoneMatch(fields, etag)
		if !ok {
			return
		}
		forms := []string{etag, `"0123456789abcdef-gzip"`, `"0123456789abcdef-zstd"`}
		joined := strings.Join(fields, ",")
		if !slices.Contains(forms, got) || !strings.Contains(joined, strings.Trim(got, `"`)) && !strings.Contains(joined, "*") {
			t.Fatalf("NoneMatch(%q) matched %q", fields, got)
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
