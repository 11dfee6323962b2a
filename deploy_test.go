package mosaic_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"mosaic/internal/tooltest"
)

// TestDeployModule runs the tests of deploy/, a module of its own (module
// mosaic/deploy, so that the Kubernetes API types stay out of this go.mod),
// which `go test ./...` here would not descend into: vet, then its tests
// (-short passed on). They check docker-compose.yml, deploy/k8s and the
// gateway against the real binaries, etcd and nginx.
//
// Offline: with deploy's modules already in the module cache it runs as
// usual; when they cannot be downloaded it skips saying so, and fails under
// CI=true.
func TestDeployModule(t *testing.T) {
	if raceEnabled {
		// The nested go test is a plain one: under -race it would only run
		// deploy's tests a second time, instrumenting nothing.
		t.Skip("the deploy module's tests run without the race detector (go test ./...)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	noteInputs(t)
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(20 * time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-10*time.Second))
	defer cancel()
	gocmd := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, goTool, append([]string{"-C", "deploy"}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := gocmd("mod", "download"); err != nil {
		msg := "deploy/'s modules cannot be downloaded (offline?); run `go -C deploy mod download` once online:\n" + out
		tooltest.Missing(t, "%s", msg)
	}
	if out, err := gocmd("vet", "./..."); err != nil {
		t.Fatalf("go -C deploy vet ./...: %v\n%s", err, out)
	}
	// -count=1: the nested tests build and run the root module's binaries,
	// which go test's cache of that module cannot see. -vet=off: vet has
	// just run with every check; go test's would analyse the Kubernetes
	// packages again for its own subset.
	args := []string{"test", "-count=1", "-vet=off", "-timeout", time.Until(deadline).Truncate(time.Second).String()}
	if testing.Short() {
		args = append(args, "-short")
	}
	if testing.Verbose() {
		args = append(args, "-v")
	}
	out, err := gocmd(append(args, "./...")...)
	t.Log("go -C deploy " + strings.Join(args, " ") + " ./...\n" + out)
	if err != nil {
		t.Fatalf("deploy module: %v", err)
	}
}

// noteInputs stats every file the nested run depends on. The test cache
// keys a cached result on the files a test opened or statted, so a change
// to any of them (a manifest, a flag in cmd/) reruns this test instead of
// replaying a stale pass.
func noteInputs(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "tools") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".mod", ".sum", ".yaml", ".yml", ".template", ".sh", ".proto":
		default:
			if d.Name() != "Dockerfile" {
				return nil
			}
		}
		_, err = os.Stat(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeployModuleSharesTheRootsVersions: a module both go.mod files require
// is required at one version. Otherwise CI compiles it twice, once for each
// module (grpc and x/net cost about 20 s of CPU when they differed).
func TestDeployModuleSharesTheRootsVersions(t *testing.T) {
	root, deploy := requires(t, "go.mod"), requires(t, "deploy/go.mod")
	for path, v := range deploy {
		if rv, ok := root[path]; ok && rv != v {
			t.Errorf("%s is %s in go.mod but %s in deploy/go.mod", path, rv, v)
		}
	}
}

// requires reads a go.mod's require lines, direct and indirect, through
// go mod edit -json: the go command's own parser.
func requires(t *testing.T, gomod string) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "mod", "edit", "-json", gomod).Output()
	if err != nil {
		t.Fatalf("go mod edit -json %s: %v", gomod, err)
	}
	var f struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &f); err != nil {
		t.Fatalf("%s: %v", gomod, err)
	}
	m := make(map[string]string, len(f.Require))
	for _, r := range f.Require {
		m[r.Path] = r.Version
	}
	return m
}
