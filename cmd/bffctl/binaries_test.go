package main

import (
	"path/filepath"
	"testing"

	"mosaic/mocks/binaries"
)

func TestMain(m *testing.M) { binaries.Main(m) }

// built is the directory of bff, mocksvc and bffctl, built on first use
// for the smoke tests, which name them by the bench's flags.
func built(t *testing.T) string {
	t.Helper()
	for _, cmd := range []string{"bff", "mocksvc"} {
		binaries.Build(t, "mosaic/cmd/"+cmd)
	}
	return filepath.Dir(binaries.Build(t, "mosaic/cmd/bffctl"))
}
