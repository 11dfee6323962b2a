package deploy

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel send sig to cmd's process if the test
// binary dies without stopping it (go test's -timeout panics without
// running t.Cleanup): an etcd, a bff or an nginx left behind would hold
// its ports, and the next run's topology would meet it. The root module's
// mocks/child does this for its tests; this module does not import it.
// Call it before cmd.Start.
func dieWithParent(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = sig
}
