package bff_test

import (
	"testing"

	"mosaic/internal/leaktest"
)

// Every test here starts servers, gRPC connections and scene goroutines;
// none may outlive the test binary's tests.
func TestMain(m *testing.M) { leaktest.Main(m) }
