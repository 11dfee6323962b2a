package bff_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test here starts servers, gRPC connections and scene goroutines;
// none may outlive the test binary's tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
