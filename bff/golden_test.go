package bff_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic/bff/apitest"
	"mosaic/bff/devices"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden from the current code")

// goldenVariants are what QA compares beyond the base request: a slow
// network, English display strings, and an app build from before the
// nested card (every device gets it, to show only the app changes).
var goldenVariants = []struct {
	name    string
	headers []string
}{
	{"base", nil},
	{"2g", []string{"X-Network", "2g"}},
	{"en", []string{"Accept-Language", "en-US"}},
	{"old-build", []string{"X-Client-Build", "7000000"}},
}

// TestGoldens pins what each device receives for each scene, on seed
// apitest.Seed. After an intended change: go test ./bff -run Goldens -update,
// then review the diff of testdata/golden as described in the README.
func TestGoldens(t *testing.T) {
	// A budget past the machine's stalls: a Related cut at the production
	// 300 ms would change a body, and that is not what a golden pins.
	srv := apitest.Start(t, apitest.Options{Deadline: 3 * time.Second, CallTimeout: 2 * time.Second})
	scenes := map[string]string{
		"feed":  "/v1/feed",
		"video": fmt.Sprintf("/v1/videos/%d", discussedVideo(t, srv)),
		"user":  fmt.Sprintf("/v1/users/%d", busyUser(t, srv)),
	}
	for scene, path := range scenes {
		for _, dev := range devices.Names() {
			for _, v := range goldenVariants {
				name := filepath.Join("testdata", "golden", scene, dev+"."+v.name+".json")
				t.Run(scene+"/"+dev+"/"+v.name, func(t *testing.T) {
					headers := append([]string{"X-User-Id", "42", "Accept-Language", "zh-CN", "X-Network", "wifi"}, v.headers...)
					resp := srv.Get(t, "/"+dev+path, headers...)
					if resp.Status != 200 {
						t.Fatalf("status %d: %s", resp.Status, resp.Body)
					}
					var pretty bytes.Buffer
					if err := json.Indent(&pretty, resp.Body, "", "  "); err != nil {
						t.Fatal(err)
					}
					if *update {
						if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(name, pretty.Bytes(), 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(name)
					if err != nil {
						t.Fatalf("%v (run with -update to create it)", err)
					}
					if !bytes.Equal(want, pretty.Bytes()) {
						t.Errorf("%s changed (-golden +now); if intended, rerun with -update and review:\n%s", name, jsonDiff(t, want, pretty.Bytes()))
					}
				})
			}
		}
	}
}

func jsonDiff(t *testing.T, want, got []byte) string {
	var w, g any
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil {
		return cmp.Diff(string(want), string(got))
	}
	if d := cmp.Diff(w, g); d != "" {
		return d
	}
	return "(same JSON values, different bytes: field order or formatting)"
}
