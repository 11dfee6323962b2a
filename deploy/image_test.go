package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The Dockerfile builds ./cmd/bff and ./cmd/mocksvc from COPY . ., so
// .dockerignore must leave every file those builds read in the context:
// go.mod, go.sum and the Go and embedded files of every package of the
// module they import.
// A pattern is matched as Docker matches it, from the context's root, and
// a match on a directory drops everything under it.
func TestDockerignoreKeepsWhatTheImageBuilds(t *testing.T) {
	var patterns []string
	f, err := os.Open("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p := strings.TrimSpace(sc.Text()); p != "" && !strings.HasPrefix(p, "#") {
			patterns = append(patterns, strings.TrimSuffix(filepath.Clean(p), "/"))
		}
	}
	f.Close()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{$d := .Dir}}{{.Dir}}{{range .GoFiles}} {{$d}}/{{.}}{{end}}{{range .EmbedFiles}} {{$d}}/{{.}}{{end}}{{end}}", "./cmd/bff", "./cmd/mocksvc")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	needed := []string{"go.mod", "go.sum"}
	for _, dir := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(root, dir); err == nil && !strings.HasPrefix(rel, "..") {
			needed = append(needed, filepath.ToSlash(rel))
		}
	}
	if len(needed) < 10 {
		t.Fatalf("only %d paths of the module in the build: %v", len(needed), needed)
	}
	for _, path := range needed {
		// path and each directory above it: a match on any drops it.
		for p := path; p != "."; p = filepath.Dir(p) {
			for _, pat := range patterns {
				if ok, _ := filepath.Match(pat, p); ok {
					t.Errorf(".dockerignore's %q drops %s, which the image's build reads", pat, path)
				}
			}
		}
	}
}
