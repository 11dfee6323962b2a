package urlcheck_test

import (
	"encoding/json"
	"strings"
	"testing"

	"mosaic/internal/urlcheck"
)

// The walker itself: it finds unsafe URLs in link fields, in any other
// field but people's text, and in lists; it passes https and empty links.
func TestWalkFindsUnsafeURLs(t *testing.T) {
	body := `{
		"cover": "http://cdn.example/1.jpg",
		"owner": {"face": "javascript:alert(1)", "name": "see http://a.example"},
		"jump": "//cdn.example/x",
		"banner_url": "data:image/png;base64,AA==",
		"links": ["https://ok.example/", "https://user@evil.example/"],
		"title": "ftp://not.a.link/",
		"ok": {"face": "https://cdn.example/f.jpg", "cover": ""}
	}`
	var w urlcheck.Walk
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	w.Value("$", "", v)
	want := []string{"$.cover", "$.owner.face", "$.jump", "$.banner_url", "$.links[1]"}
	if len(w.Bad) != len(want) {
		t.Fatalf("found %d unsafe, want %d: %q", len(w.Bad), len(want), w.Bad)
	}
	for _, p := range want {
		found := false
		for _, b := range w.Bad {
			found = found || strings.HasPrefix(b, p+":")
		}
		if !found {
			t.Errorf("missed %s in %q", p, w.Bad)
		}
	}
	if w.URLs != 7 || w.Empty != 1 {
		t.Errorf("checked %d URLs and %d empty, want 7 and 1", w.URLs, w.Empty)
	}
}
