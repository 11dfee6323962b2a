// Package host reads what the machine says about itself and the bench's
// processes: its CPU model, CPU time and resident memory from /proc, and
// the cgroup that holds a process to a share of a CPU. Off Linux the
// readings are missing, not wrong.
package host

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Machine describes the machine for a report: OS, architecture, CPU model,
// CPU count and Go version.
func Machine() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v) + ", "
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %s%d CPUs, %s", runtime.GOOS, runtime.GOARCH, cpu, runtime.NumCPU(), runtime.Version())
}
