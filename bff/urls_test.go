package bff_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/devices"
	"mosaic/dto"
)

// Every URL a device receives is https and safe. urlWalk is the check, run
// over every response of every scene, device and variant (what the goldens
// hold, live and on disk), over the bodies FuzzAdapters builds, and over a
// web page of 50 whose sources carry http URLs.

// urlField reports whether key names a link. Besides today's fields, any
// key that says it holds a URL counts, so a new link field is checked from
// the day it appears.
func urlField(key string) bool {
	switch key {
	case "cover", "face", "owner_face":
		return true
	}
	k := strings.ToLower(key)
	for _, s := range []string{"url", "uri", "link", "href", "face", "cover", "avatar", "image", "icon"} {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// textField reports whether key carries people's words (a title, a reply, a
// display string), which clients show as text and never load: a URL typed
// into a title is not a link. Every other string that looks like a URL must
// be safe as well.
func textField(key string) bool {
	switch key {
	case "title", "desc", "tags", "reason", "name", "owner_name", "member_name", "message", "sign", "official_title":
		return true
	}
	return false
}

func looksLikeURL(s string) bool { return strings.Contains(s, "://") || strings.HasPrefix(s, "//") }

// safeURL checks s independently of dto.SafeURL (and then that SafeURL
// leaves it as is): https, a host, no userinfo, only RFC 3986 characters,
// every % a two-digit escape.
func safeURL(s string) error {
	if !strings.HasPrefix(s, "https://") {
		return fmt.Errorf("not https")
	}
	if err := uriBytes(s); err != nil {
		return err
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Host == "":
		return fmt.Errorf("no host")
	case u.User != nil:
		return fmt.Errorf("userinfo %q", u.User)
	case dto.SafeURL(s).String() != s:
		return fmt.Errorf("dto.SafeURL changes it to %q", dto.SafeURL(s))
	}
	return nil
}

// uriBytes checks that s holds only RFC 3986 characters and every % starts
// a two-digit escape.
func uriBytes(s string) error {
	const hex = "0123456789abcdefABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
		if !ok {
			return fmt.Errorf("byte %q at %d", c, i)
		}
		if c == '%' && (i+2 >= len(s) || strings.IndexByte(hex, s[i+1]) < 0 || strings.IndexByte(hex, s[i+2]) < 0) {
			return fmt.Errorf("bad escape at %d", i)
		}
	}
	return nil
}

// urlWalk walks every string of a decoded JSON body.
type urlWalk struct {
	urls  int      // non-empty URL-field values and URL-looking strings checked
	empty int      // URL fields left empty (no loadable source)
	bad   []string // path: value: why
}

func (w *urlWalk) walk(path, key string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			w.walk(path+"."+k, k, x)
		}
	case []any:
		for i, x := range v {
			w.walk(fmt.Sprintf("%s[%d]", path, i), key, x)
		}
	case string:
		w.check(path, key, v)
	}
}

func (w *urlWalk) check(path, key, s string) {
	switch {
	case urlField(key) && s == "":
		w.empty++
		return
	case urlField(key), !textField(key) && looksLikeURL(s):
		w.urls++
		if err := safeURL(s); err != nil {
			w.bad = append(w.bad, fmt.Sprintf("%s: %q: %v", path, s, err))
		}
	}
}

// body walks one JSON body; where says what it is, for failures.
func (w *urlWalk) body(t testing.TB, where string, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	before := len(w.bad)
	w.walk("$", "", v)
	for _, b := range w.bad[before:] {
		t.Errorf("%s: unsafe URL at %s", where, b)
	}
}

// The walker itself: it finds unsafe URLs in link fields, in any other
// field but people's text, and in lists; it passes https and empty links.
func TestURLWalkFindsUnsafeURLs(t *testing.T) {
	body := `{
		"cover": "http://cdn.example/1.jpg",
		"owner": {"face": "javascript:alert(1)", "name": "see http://a.example"},
		"jump": "//cdn.example/x",
		"banner_url": "data:image/png;base64,AA==",
		"links": ["https://ok.example/", "https://user@evil.example/"],
		"title": "ftp://not.a.link/",
		"ok": {"face": "https://cdn.example/f.jpg", "cover": ""}
	}`
	var w urlWalk
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	w.walk("$", "", v)
	want := []string{"$.cover", "$.owner.face", "$.jump", "$.banner_url", "$.links[1]"}
	if len(w.bad) != len(want) {
		t.Fatalf("found %d unsafe, want %d: %q", len(w.bad), len(want), w.bad)
	}
	for _, p := range want {
		found := false
		for _, b := range w.bad {
			found = found || strings.HasPrefix(b, p+":")
		}
		if !found {
			t.Errorf("missed %s in %q", p, w.bad)
		}
	}
	if w.urls != 7 || w.empty != 1 {
		t.Errorf("checked %d URLs and %d empty, want 7 and 1", w.urls, w.empty)
	}
}

// Every scene on every device, in every golden variant and under degraded
// profiles, live: no URL but safe https ones; and the same for the golden
// files as committed.
func TestEveryURLIsSafe(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	paths := map[string]string{
		"feed":        "/v1/feed",
		"feed page 2": "/v1/feed?page=2&ps=50",
		"video":       fmt.Sprintf("/v1/videos/%d", someVideo(t, srv)),
		"user":        fmt.Sprintf("/v1/users/%d", busyUser(t, srv)),
	}
	variants := append([]struct {
		name    string
		headers []string
	}{
		{"partial profiles", []string{"X-Mock-Scenario", "account=partial"}},
		{"partial archives", []string{"X-Mock-Scenario", "archive=partial"}},
	}, goldenVariants...)
	var w urlWalk
	for scene, path := range paths {
		for _, dev := range devices.Names() {
			for _, v := range variants {
				headers := append([]string{"X-User-Id", "42", "Accept-Language", "zh-CN", "X-Network", "wifi"}, v.headers...)
				resp := srv.Get(t, "/"+dev+path, headers...)
				if resp.Status != 200 {
					t.Fatalf("%s %s %s: status %d: %s", dev, scene, v.name, resp.Status, resp.Body)
				}
				w.body(t, dev+" "+scene+" "+v.name, resp.Body)
			}
		}
	}
	t.Logf("live: %d URLs checked, %d URL fields empty, %d unsafe", w.urls, w.empty, len(w.bad))
	if w.urls < 1000 {
		t.Errorf("only %d URLs checked: the walk missed the bodies", w.urls)
	}

	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.json"))
	if err != nil || len(files) != 3*len(devices.Names())*len(goldenVariants) {
		t.Fatalf("golden files: %d, %v", len(files), err)
	}
	var g urlWalk
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g.body(t, f, raw)
	}
	t.Logf("goldens: %d files, %d URLs checked, %d URL fields empty, %d unsafe", len(files), g.urls, g.empty, len(g.bad))
	if g.urls < 1000 {
		t.Errorf("only %d URLs in the goldens", g.urls)
	}
}

// A web page of 50 (less the hidden archives) whose sources hold http covers and faces (the
// mocks make one in five http): each of them reaches the browser as the
// same URL upgraded to https, none as http.
func TestWebPageUpgradesHTTPSources(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	resp := srv.Get(t, "/web/v1/feed?ps=50", "X-User-Id", "42")
	var feed struct {
		Cards []struct {
			Aid   int64  `json:"aid"`
			Cover string `json:"cover"`
			Owner struct {
				Mid  int64  `json:"mid"`
				Face string `json:"face"`
			} `json:"owner"`
		} `json:"cards"`
	}
	if err := json.Unmarshal(resp.Body, &feed); err != nil || len(feed.Cards) < 40 { // hidden archives drop out
		t.Fatalf("%d cards, %v", len(feed.Cards), err)
	}
	var httpSources int
	for _, c := range feed.Cards {
		a, _ := srv.Data.Archive(c.Aid)
		p, _ := srv.Data.Profile(c.Owner.Mid)
		for _, pair := range [][2]string{{a.GetCover(), c.Cover}, {p.GetFace(), c.Owner.Face}} {
			src, got := pair[0], pair[1]
			if rest, ok := strings.CutPrefix(src, "http://"); ok {
				httpSources++
				src = "https://" + rest
			}
			if !strings.HasPrefix(got, src) {
				t.Errorf("aid %d: source %q became %q", c.Aid, src, got)
			}
		}
	}
	if n := strings.Count(string(resp.Body), "http://"); n != 0 || httpSources == 0 {
		t.Errorf("%d http sources, %d http URLs in the body", httpSources, n)
	}
	t.Logf("web page of 50: %d http sources (covers and faces), all upgraded; %d https URLs", httpSources, strings.Count(string(resp.Body), "https://"))
}

// The spec's URL schemas refuse what SafeURL never produces, so that
// validating a response against api.openapi.yaml also checks its links.
func TestSpecURLSchemasAreHTTPSOnly(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	schemas := srv.Spec.Doc.Components.Schemas
	cover := "https://cdn.example/1.jpg@640w_360h.webp"
	for _, tc := range []struct {
		schema, value string
		ok            bool
	}{
		{"SafeURL", "", true},
		{"SafeURL", "https://cdn.example/f.jpg", true},
		{"SafeURL", "http://cdn.example/f.jpg", false},
		{"SafeURL", "//cdn.example/f.jpg", false},
		{"SafeURL", "javascript:alert(1)", false},
		{"SafeURL", "https://cdn.example/a b.jpg", false},
		{"SafeURL", "https://cdn.example/\"><script>", false},
		{"CoverURL", "", true},
		{"CoverURL", cover, true},
		{"CoverURL", "http" + strings.TrimPrefix(cover, "https"), false},
		{"CoverURL", "data:image/webp;base64,AA==@1w_1h.webp", false},
		// A query the cover had stays after the rendition, as SafeURL takes it.
		{"CoverURL", "https://cdn.example/1.jpg@1w_2h_3q.webp?v=2&a[0]=1", true},
		{"CoverURL", "https://cdn.example/1.jpg@1w_2h.webp?v=2#top", false},
	} {
		err := schemas[tc.schema].Value.VisitJSON(tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("%s %q: %v, want ok=%v", tc.schema, tc.value, err, tc.ok)
		}
	}
}
