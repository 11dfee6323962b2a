package child

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel stop a child if the bench dies without
// stopping it, so no server outlives the run.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
