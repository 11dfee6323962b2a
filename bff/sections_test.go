package bff_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"mosaic/bff/apitest"
	"mosaic/bff/openapi"
	"mosaic/bff/scene"
	"mosaic/clients"
)

// sceneOfPath is the scene a spec path serves, "" for other operations.
func sceneOfPath(path string) string {
	switch {
	case strings.HasSuffix(path, "/v1/feed"):
		return "feed"
	case strings.Contains(path, "/v1/videos/"):
		return "video"
	case strings.Contains(path, "/v1/users/"):
		return "user"
	}
	return ""
}

// The spec's degraded[].section enum, on every device's page of a scene,
// is exactly the sections that scene can report: those it can leave out
// and the critical ones it can serve stale.
func TestSpecSectionEnumsAreTheScenes(t *testing.T) {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := scene.Sections()
	for name, stale := range scene.ServedStale() {
		want[name] = append(want[name], stale...)
		slices.Sort(want[name])
	}
	checked := map[string]int{}
	for path, item := range spec.Doc.Paths.Map() {
		name := sceneOfPath(path)
		if item.Get == nil || name == "" {
			continue
		}
		media := item.Get.Responses.Status(http.StatusOK).Value.Content.Get("application/json")
		pages := openapi3.SchemaRefs{media.Schema}
		if alts := media.Schema.Value.AnyOf; len(alts) > 0 {
			pages = alts // the app's legacy and current shapes
		}
		for _, page := range pages {
			deg := page.Value.Properties["degraded"]
			if deg == nil {
				t.Errorf("%s (%s): no degraded property", path, page.Ref)
				continue
			}
			var enum []string
			for _, v := range deg.Value.Items.Value.Properties["section"].Value.Enum {
				enum = append(enum, fmt.Sprint(v))
			}
			slices.Sort(enum)
			if !slices.Equal(enum, want[name]) {
				t.Errorf("%s (%s): section enum %v, want the %s scene's %v", path, page.Ref, enum, name, want[name])
			}
			checked[name]++
		}
	}
	// 4 devices, and the app's legacy shape besides.
	if checked["feed"] != 5 || checked["video"] != 5 || checked["user"] != 5 {
		t.Errorf("page schemas checked per scene: %v", checked)
	}
}

// scene.Sections is what the scenes really report: each downstream
// failing alone, on each scene, degrades exactly these sections between
// them (a critical one fails the scene instead).
func TestScenesReportExactlyTheirSections(t *testing.T) {
	for name, want := range scene.Sections() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := apitest.Start(t, apitest.Options{})
			path := map[string]string{
				"feed":  "/web/v1/feed",
				"video": fmt.Sprintf("/web/v1/videos/%d", evenVideo(t, srv)),
				"user":  fmt.Sprintf("/web/v1/users/%d", busyUser(t, srv)),
			}[name]
			var got []string
			for _, svc := range clients.Services() {
				resp := srv.Get(t, path, "X-User-Id", "42", "X-Mock-Scenario", svc+"=unavailable")
				var body struct {
					Degraded []struct{ Section string } `json:"degraded"`
				}
				if err := json.Unmarshal(resp.Body, &body); err != nil {
					t.Fatalf("%s: %v", svc, err)
				}
				for _, d := range body.Degraded {
					if !slices.Contains(got, d.Section) {
						got = append(got, d.Section)
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("reported %v, scene.Sections says %v", got, want)
			}
		})
	}
}
