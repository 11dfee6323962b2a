package clients_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The committed generated code is what the pinned generators produce from
// the committed protos: regenerate into a scratch copy and compare.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds buf from tools/go.mod (minutes on a cold cache); run without -short")
	}
	scratch := t.TempDir()
	var committed []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".pb.go") {
			committed = append(committed, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The same command as go:generate, writing under scratch instead.
	cmd := exec.Command("go", "tool", "-modfile=../tools/go.mod", "buf", "generate", "--output", scratch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buf generate: %v\n%s", err, out)
	}
	var generated []string
	filepath.WalkDir(scratch, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".pb.go") {
			rel, _ := filepath.Rel(scratch, path)
			generated = append(generated, rel)
		}
		return err
	})
	if strings.Join(generated, ",") != strings.Join(committed, ",") {
		t.Fatalf("generated files %v, committed %v", generated, committed)
	}
	for _, path := range committed {
		want, _ := os.ReadFile(filepath.Join(scratch, path))
		got, _ := os.ReadFile(path)
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `go generate ./clients` and commit the result", path)
		}
	}
}
