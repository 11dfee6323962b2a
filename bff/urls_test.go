package bff_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/devices"
	"mosaic/internal/urlcheck"
)

// Every URL a device receives is https and safe. urlcheck is the check, run
// over every response of every scene, device and variant (what the goldens
// hold, live and on disk), over the bodies FuzzAdapters (bff/devices)
// builds, and over a web page of 50 whose sources carry http URLs.

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
	var w urlcheck.Walk
	for scene, path := range paths {
		for _, dev := range devices.Names() {
			for _, v := range variants {
				headers := append([]string{"X-User-Id", "42", "Accept-Language", "zh-CN", "X-Network", "wifi"}, v.headers...)
				resp := srv.Get(t, "/"+dev+path, headers...)
				if resp.Status != 200 {
					t.Fatalf("%s %s %s: status %d: %s", dev, scene, v.name, resp.Status, resp.Body)
				}
				w.Body(t, dev+" "+scene+" "+v.name, resp.Body)
			}
		}
	}
	t.Logf("live: %d URLs checked, %d URL fields empty, %d unsafe", w.URLs, w.Empty, len(w.Bad))
	if w.URLs < 1000 {
		t.Errorf("only %d URLs checked: the walk missed the bodies", w.URLs)
	}

	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.json"))
	if err != nil || len(files) != 3*len(devices.Names())*len(goldenVariants) {
		t.Fatalf("golden files: %d, %v", len(files), err)
	}
	var g urlcheck.Walk
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g.Body(t, f, raw)
	}
	t.Logf("goldens: %d files, %d URLs checked, %d URL fields empty, %d unsafe", len(files), g.URLs, g.Empty, len(g.Bad))
	if g.URLs < 1000 {
		t.Errorf("only %d URLs in the goldens", g.URLs)
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
