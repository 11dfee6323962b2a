//go:build unix

package overload

import (
	"math"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// nginx in one process keeps the open-file limit it was started with; the
// bench raises its own first, and a child inherits it.
func TestChildrenInheritTheRaisedOpenFileLimit(t *testing.T) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		t.Fatal(err)
	}
	if l.Max <= 256 {
		t.Skipf("hard open-file limit %d: nothing to raise", l.Max)
	}
	// Start low, as a login's soft limit of 1,024 would be (here soft and
	// hard may be equal, and the test could not tell).
	low := syscall.Rlimit{Cur: 256, Max: l.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	if err := raiseOpenFiles(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", "ulimit -n").Output()
	if err != nil {
		t.Skip("no sh to ask:", err)
	}
	want := strconv.FormatUint(l.Max, 10)
	if l.Max == math.MaxUint64 {
		want = "unlimited"
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("a child's open-file limit is %s, want the hard limit %s", got, want)
	}
}
