package overload

import (
	"fmt"
	"strings"
)

// maxOtherWork is how much CPU, in % of one core summed over the CPUs, a
// phase may see used beyond the rig's own processes (the BFF, mocksvc, the
// generator) before the run stops counting: other work takes the cores the
// pinning promised the rig. Quiet runs here read 0–18 (the kernel's
// loopback work, bffctl's scrapes); one taken while another engineer's
// tests ran read over 100.
const maxOtherWork = 30

// otherWork is the CPU a phase saw used by anything but the rig's
// processes; ok is false when the CPUs were not measured.
func otherWork(p Phase) (pct float64, ok bool) {
	if len(p.CPU.CPUs) == 0 {
		return 0, false
	}
	for _, v := range p.CPU.CPUs {
		pct += v
	}
	for _, v := range p.CPU.Procs {
		pct -= v
	}
	return max(pct, 0), true
}

// otherWorkCheck fails a run in which some phase shared the machine.
func (rep *Report) otherWorkCheck() Check {
	var busy []string
	measured := false
	for _, p := range rep.Phases {
		pct, ok := otherWork(p)
		measured = measured || ok
		if ok && pct > maxOtherWork {
			busy = append(busy, fmt.Sprintf("%s: %.0f%%", rep.phaseLabel(p), pct))
		}
	}
	detail := "over at " + orNone(strings.Join(busy, ", "))
	if !measured {
		detail = "not measured (no /proc/stat)"
	}
	return Check{
		Name:   fmt.Sprintf("rig: nothing else ran (CPU beyond the rig's processes <= %d%% of a core in every phase)", maxOtherWork),
		Pass:   len(busy) == 0,
		Detail: detail,
	}
}
