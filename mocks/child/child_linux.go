// Package child ties the processes a test starts (etcd, a bff, a mock
// service) to the test binary, so that none outlives it: when go test's
// timeout panics, t.Cleanup does not run.
package child

import (
	"os/exec"
	"syscall"
)

// DieWithParent has the kernel kill cmd's process if the test binary dies
// without stopping it. Call it before cmd.Start.
func DieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
