// Package tooltest holds the one rule for tests that need a tool Go does
// not fetch (etcd, nginx, chromium, npx): on a newcomer's machine a missing
// tool skips the test, saying how to get it; in CI (CI=true), where .ci/run
// installs every such tool, a missing one fails it, so that a test CI
// should run can never pass by skipping.
package tooltest

import (
	"fmt"
	"os"
	"testing"
)

// Missing ends tb because a tool it needs is missing: why should name the
// tool and how to get it.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	why := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("%s (CI=true: .ci/run installs every tool the tests need, so a missing one is a failure)", why)
		return
	}
	tb.Skip(why)
}

// InCI reports whether the tests run in CI, where nothing may be skipped
// for want of a tool.
func InCI() bool { return os.Getenv("CI") == "true" }
