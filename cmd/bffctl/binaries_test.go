package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// binDir holds bff, mocksvc and bffctl, built once per package run for the
// smoke tests: each build links three large binaries.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mosaic-cmd-bffctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	// With a Cleanup, VerifyTestMain leaves the exit to it: a leak it
	// found is in code.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

var buildBinaries = sync.OnceValue(func() error {
	cmd := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), "mosaic/cmd/bff", "mosaic/cmd/mocksvc", "mosaic/cmd/bffctl")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
})

// built is the directory of the binaries, built on first use.
func built(t *testing.T) string {
	t.Helper()
	if err := buildBinaries(); err != nil {
		t.Fatal(err)
	}
	return binDir
}
