package main

import (
	"testing"

	"mosaic/mocks/binaries"
)

func TestMain(m *testing.M) { binaries.Main(m) }

// buildBinary is cmd/bff, built for the process-level tests.
func buildBinary(t *testing.T) string { return binaries.Build(t, "mosaic/cmd/bff") }

// buildMocksvc is cmd/mocksvc, built for the process-level tests.
func buildMocksvc(t *testing.T) string { return binaries.Build(t, "mosaic/cmd/mocksvc") }
