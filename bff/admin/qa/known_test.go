package qa

import (
	"net/http"
	"testing"

	"mosaic/bff/openapi"
)

// Internal: qa_test.go is package qa_test, since it runs the topology of
// bff/apitest, whose wiring (bff/server) mounts this package.

func TestKnownPaths(t *testing.T) {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := New(http.NotFoundHandler(), spec)
	for path, want := range map[string]bool{
		"/v1/feed":       true,
		"/v1/videos/8":   true,
		"/v1/users/1":    true,
		"/v1/videos/":    false,
		"/v1/videos":     false,
		"/v1/feed/x":     false,
		"/openapi.yaml":  false,
		"/v1/users/1/x":  false,
		"/v2/feed":       false,
		"/v1/videos/8/x": false,
	} {
		if got := p.known(path); got != want {
			t.Errorf("known(%q) = %v", path, got)
		}
	}
}
