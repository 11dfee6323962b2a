package etcdtest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel stop etcd if the test binary dies without
// stopping it, so no server outlives the run.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
