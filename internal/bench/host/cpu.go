package host

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc CPU times: 100 on every Linux
// this runs on (Go has no sysconf to ask).
const clockTicks = 100

// parseProcStatTicks is a process's user plus system CPU time, in clock
// ticks, from the text of /proc/PID/stat. The command name (field 2) may
// hold spaces and parentheses, so fields are counted from its last ')'.
func parseProcStatTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("no ')' after the command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// cpuTicks are one CPU's busy and total clock ticks since boot.
type cpuTicks struct{ busy, total int64 }

// parseCPUStat reads the per-CPU lines ("cpu0 ...") of /proc/stat; idle
// and iowait are not busy, everything else is.
func parseCPUStat(stat string) (map[string]cpuTicks, error) {
	out := map[string]cpuTicks{}
	for line := range strings.Lines(stat) {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		var t cpuTicks
		for i, s := range f[1:] {
			if i >= 8 { // guest and guest_nice are already in user and nice
				break
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("/proc/stat %s: %w", f[0], err)
			}
			t.total += v
			if i != 3 && i != 4 { // idle, iowait
				t.busy += v
			}
		}
		out[f[0]] = t
	}
	if len(out) == 0 {
		return nil, errors.New("no per-CPU line in /proc/stat")
	}
	return out, nil
}

// CPUSnapshot is the CPU time of some processes and of each CPU at one
// instant.
type CPUSnapshot struct {
	At    time.Time
	procs map[string]int64 // name → ticks
	cpus  map[string]cpuTicks
}

// TakeCPUSnapshot reads /proc; what it cannot read (not Linux) is left out
// and shows as "-" in the report.
func TakeCPUSnapshot(pids map[string]int) CPUSnapshot {
	s := CPUSnapshot{At: time.Now(), procs: map[string]int64{}}
	for name, pid := range pids {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if t, err := parseProcStatTicks(string(b)); err == nil {
				s.procs[name] = t
			}
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		s.cpus, _ = parseCPUStat(string(b))
	}
	return s
}

// CPUUsage is a phase's CPU use in percent of one core: of each process,
// and of each CPU by anything (the rig and everyone else on the machine).
type CPUUsage struct {
	Procs map[string]float64 `json:"procs"`
	CPUs  map[string]float64 `json:"cpus"`
}

// UsageBetween is the CPU use from a to b.
func UsageBetween(a, b CPUSnapshot) CPUUsage {
	u := CPUUsage{Procs: map[string]float64{}, CPUs: map[string]float64{}}
	wall := b.At.Sub(a.At).Seconds()
	if wall <= 0 {
		return u
	}
	for name, t := range b.procs {
		if t0, ok := a.procs[name]; ok {
			u.Procs[name] = 100 * float64(t-t0) / clockTicks / wall
		}
	}
	for name, t := range b.cpus {
		t0, ok := a.cpus[name]
		if ok && t.total > t0.total {
			u.CPUs[name] = 100 * float64(t.busy-t0.busy) / float64(t.total-t0.total)
		}
	}
	return u
}

// LoadAvg is the 1, 5 and 15 minute load averages, or "?" off Linux: how
// busy the shared machine was with work other than the rig's.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}
