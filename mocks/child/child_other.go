//go:build !linux

// Package child ties the processes a test starts (etcd, a bff, a mock
// service) to the test binary, so that none outlives it: when go test's
// timeout panics, t.Cleanup does not run.
package child

import "os/exec"

// DieWithParent does nothing where the kernel has no parent-death signal.
func DieWithParent(*exec.Cmd) {}
