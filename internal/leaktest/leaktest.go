// Package leaktest is the goroutine-leak check of every package that starts
// goroutines: goleak, with the patience of a loaded machine.
package leaktest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// patience is how long the check waits for goroutines to end. goleak's own
// retries give up after about 0.4 s, and a connection closed at the end of
// a test can take longer than that to run its goroutines out on a CI
// machine running two test binaries and a fuzzer on two cores: the check
// would fail a package for a leak that is only late. A real leak still
// fails it, 5 s later.
const patience = 5 * time.Second

// Main runs m's tests, then fails the binary if any goroutine they started
// is still running. Call it from TestMain.
func Main(m *testing.M, opts ...goleak.Option) { os.Exit(Code(m, opts...)) }

// Code is Main's exit code, for a TestMain with something to remove
// before it exits.
func Code(m *testing.M, opts ...goleak.Option) int {
	code := m.Run()
	if code != 0 {
		return code // the failure is told already; a leak may be its doing
	}
	if err := settle(opts, patience); err != nil {
		fmt.Fprintf(os.Stderr, "leaktest: goroutines still running %v after the tests passed: %v\n", patience, err)
		return 1
	}
	return 0
}

// None fails t if any goroutine but those opts ignore is still running
// once patience has passed.
func None(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	if err := settle(opts, patience); err != nil {
		t.Error(err)
	}
}

// settle returns nil once no goroutine but those opts ignore runs, or
// goleak's error if one still does after within.
func settle(opts []goleak.Option, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := goleak.Find(opts...) // itself retries for some 0.4 s
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}
