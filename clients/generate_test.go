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
//
// The regeneration is tools/protogen's, not buf's: it compiles the protos
// with the compiler buf embeds, at buf's pinned version and options, and
// runs buf.gen.yaml's plugins as buf does, so its output is buf's byte for
// byte (checked on every file when it was written), and it builds in
// seconds where buf takes about six minutes of CPU on a cold cache. After
// a change to tools/go.mod, run `go generate ./clients` too: if buf and
// protogen then differ, this test says which file.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	scratch := t.TempDir()
	var committed []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".pb.go"):
			committed = append(committed, path)
		case strings.HasSuffix(path, ".proto"), strings.HasSuffix(path, ".yaml"):
			// go test caches a pass on the files the test itself stats;
			// protogen reads these in a process of its own.
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"../tools/go.mod", "../tools/go.sum"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
	module, _ := filepath.Abs(".")
	cmd := exec.Command("go", "-C", "../tools", "run", "./protogen", "-module", module, "-out", scratch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protogen: %v\n%s", err, out)
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

// TestProtogen runs tools/protogen's own tests (the tools module, which
// `go test ./...` here does not descend into): how it groups requests,
// what of buf.gen.yaml it refuses, and that two plugins may not write one
// file. Vet first, as CI's go vet ./... does for this module's packages.
func TestProtogen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tools module's tests")
	}
	sources, err := filepath.Glob("../tools/protogen/*.go")
	if err != nil || len(sources) == 0 {
		t.Fatalf("tools/protogen: %v %v", sources, err)
	}
	for _, f := range append(sources, "../tools/go.mod", "../tools/go.sum") {
		if _, err := os.Stat(f); err != nil { // so that go test's cache reruns this test after a change
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"vet", "./protogen"}, {"test", "-vet=off", "./protogen"}} {
		cmd := exec.Command("go", append([]string{"-C", "../tools"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go -C tools %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
