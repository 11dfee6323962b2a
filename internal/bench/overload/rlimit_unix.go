//go:build unix

package overload

import (
	"fmt"
	"syscall"
)

// raiseOpenFiles sets this process's soft open-file limit to its hard one.
// Go raises its own soft limit at start but gives children the original;
// once the program sets the limit itself, children inherit that instead.
func raiseOpenFiles() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("open-file limit: %w", err)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return fmt.Errorf("raising the open-file limit for the gateway: %w", err)
	}
	return nil
}
