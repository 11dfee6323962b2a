package openapi_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"mosaic/internal/tooltest"
)

// redocly is the pinned Redocly CLI; .ci/run lints with the same one.
const redocly = "@redocly/cli@2.77.0"

// api.openapi.yaml passes Redocly's recommended rules (no error; the one
// warning left is info-license: the project has not chosen a license).
// Redocly is a Node tool: without npx, or outside CI without the pinned
// version already fetched, the test skips saying how to get it; with
// CI=true it fetches it and never skips.
func TestRedoclyRecommendedRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Redocly through npx; .ci/run lints in its own step too")
	}
	ci := tooltest.InCI()
	missing := func(why string) { tooltest.Missing(t, "%s", why) }
	ciRun, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ciRun), "--package="+redocly+" -- redocly lint") {
		t.Errorf(".ci/run does not lint with %s, the version this test pins", redocly)
	}
	if _, err := exec.LookPath("npx"); err != nil {
		missing("npx not found: install Node.js 20.19+ with npm (NodeSource or nodejs.org packages; Debian 12's own nodejs is too old) to lint api.openapi.yaml")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	fetch := "--no" // outside CI, never reach for the network
	if ci {
		fetch = "--yes"
	}
	npx := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "npx", append([]string{fetch, "--package=" + redocly, "--", "redocly"}, args...)...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
		return cmd.CombinedOutput()
	}
	if out, err := npx("--version"); err != nil {
		missing("Redocly CLI is not fetched: run `npx --yes --package=" + redocly + " -- redocly --version` once (it needs the npm registry)\n" + string(out))
	}
	out, err := npx("lint", "--format=stylish", "../../api.openapi.yaml")
	if err != nil {
		t.Fatalf("redocly lint api.openapi.yaml: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
