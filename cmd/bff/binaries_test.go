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

// binDir holds the binaries the process-level tests start, each built once
// per run of the package: go build links anew every time it is asked,
// seconds a binary, and a dozen tests ask.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mosaic-cmd-bff-test-")
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

var (
	bffBinary     = sync.OnceValues(func() (string, error) { return goBuild(".", "bff") })
	mocksvcBinary = sync.OnceValues(func() (string, error) { return goBuild("../mocksvc", "mocksvc") })
)

func goBuild(pkg, name string) (string, error) {
	bin := filepath.Join(binDir, name)
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// buildBinary is cmd/bff, built for the process-level tests.
func buildBinary(t *testing.T) string { return built(t, bffBinary) }

// buildMocksvc is cmd/mocksvc, built for the process-level tests.
func buildMocksvc(t *testing.T) string { return built(t, mocksvcBinary) }

func built(t *testing.T, build func() (string, error)) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
