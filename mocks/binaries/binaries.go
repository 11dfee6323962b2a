// Package binaries builds the module's commands for tests that run them as
// processes. Each command is built once per test binary, into a directory
// removed after the tests: go build links afresh every time it is asked,
// seconds a binary, and a dozen tests ask.
package binaries

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"

	"mosaic/internal/leaktest"
)

// The package's state, behind one lock: one test binary's builds.
var (
	mu    sync.Mutex
	dir   string
	built = map[string]*build{}
)

type build struct {
	once sync.Once
	bin  string
	err  error
}

// Main runs m's tests, checked by goleak, with a directory for Build's
// binaries that is removed after them. Call it from TestMain.
func Main(m *testing.M) {
	d, err := os.MkdirTemp("", "mosaic-binaries-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mu.Lock()
	dir = d
	mu.Unlock()
	code := leaktest.Code(m)
	os.RemoveAll(d)
	os.Exit(code)
}

// Build returns the path of the command pkg ("mosaic/cmd/bff"), built on
// first use. The binaries of one test binary share a directory, named
// after their packages.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	mu.Lock()
	if dir == "" {
		mu.Unlock()
		t.Fatal("binaries.Build without binaries.Main in TestMain")
	}
	b := built[pkg]
	if b == nil {
		b = &build{bin: filepath.Join(dir, path.Base(pkg))}
		built[pkg] = b
	}
	mu.Unlock()
	b.once.Do(func() {
		if out, err := exec.Command("go", "build", "-o", b.bin, pkg).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}
