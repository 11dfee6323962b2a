package host

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tbff\nVmPeak:\t 1300000 kB\nVmRSS:\t   40960 kB\nThreads:\t8\n"
	if got, err := parseVmRSS(status); err != nil || got != 40<<20 {
		t.Errorf("got %d, %v; want %d", got, err, 40<<20)
	}
	if _, err := parseVmRSS("Name:\tbff\n"); err == nil {
		t.Error("no VmRSS line: no error")
	}
	if _, err := parseVmRSS("VmRSS:\t12 MB\n"); err == nil {
		t.Error("unknown unit: no error")
	}
}

func TestParseProcStatTicks(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 37 0 0 20 0 9 0 123 456 789 18446744073709551615"
	if got, err := parseProcStatTicks(stat); err != nil || got != 187 {
		t.Errorf("parseProcStatTicks = %d, %v; want 150 + 37", got, err)
	}
	for _, bad := range []string{"4242 no paren S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 a 37"} {
		if _, err := parseProcStatTicks(bad); err == nil {
			t.Errorf("parseProcStatTicks(%q) accepted", bad)
		}
	}
}

func TestCPUUsage(t *testing.T) {
	stat0 := "cpu  300 0 100 600 0 0 0 0 0 0\ncpu0 100 0 50 350 0 0 0 0 0 0\ncpu1 200 0 50 250 0 0 0 0 0 0\nintr 1 2 3\n"
	// One second later: cpu0 busy 90 of 100 ticks (10 of them iowait, not
	// busy), cpu1 busy 40 of 100.
	stat1 := "cpu  430 0 110 750 10 0 0 0 0 0\ncpu0 180 0 60 350 10 0 0 0 0 0\ncpu1 230 0 60 310 0 0 0 0 0 0\n"
	c0, err := parseCPUStat(stat0)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := parseCPUStat(stat1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c0["cpu"]; ok || len(c0) != 2 {
		t.Errorf("parseCPUStat kept %v; want cpu0 and cpu1 only", c0)
	}
	at := time.Unix(100, 0)
	a := CPUSnapshot{At: at, procs: map[string]int64{"bff": 1000, "gone": 5}, cpus: c0}
	b := CPUSnapshot{At: at.Add(2 * time.Second), procs: map[string]int64{"bff": 1150, "new": 9}, cpus: c1}
	u := UsageBetween(a, b)
	want := CPUUsage{Procs: map[string]float64{"bff": 75}, CPUs: map[string]float64{"cpu0": 90, "cpu1": 40}}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	if _, err := parseCPUStat("intr 1 2\n"); err == nil {
		t.Error("parseCPUStat found CPUs in none")
	}
}

// TestRSSSamplerKeepsTheLargest samples this test's own process, which has
// a resident set on Linux, and nothing for a name never watched.
func TestRSSSamplerKeepsTheLargest(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here")
	}
	s := NewRSSSampler()
	s.Watch("self", os.Getpid())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	s.Run(ctx, 10*time.Millisecond)
	s.Unwatch(os.Getpid())
	if s.Max("self") <= 0 || s.Max("other") != 0 {
		t.Errorf("self %d B, other %d B; want self > 0 and other 0", s.Max("self"), s.Max("other"))
	}
}

func TestMachineNamesTheCPUCount(t *testing.T) {
	if m := Machine(); !strings.Contains(m, "CPUs, go") {
		t.Errorf("Machine() = %q", m)
	}
}
