//go:build unix

package freeport

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// held are the lock files of the ports this process reserved, open for its
// life: the kernel releases their locks when it ends, however it ends.
var held struct {
	sync.Mutex
	files []*os.File
}

// reserve takes port for this process, unless another process took it
// first: an exclusive lock on a file named for the port, shared by every
// process of the machine's user that asks here. Where the lock cannot be
// taken for another reason (no temporary directory), the port is taken
// unreserved, as before there were reservations.
func reserve(port int) bool {
	dir := filepath.Join(os.TempDir(), "mosaic-freeport-"+strconv.Itoa(os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return true
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return err != syscall.EWOULDBLOCK
	}
	held.Lock()
	held.files = append(held.files, f)
	held.Unlock()
	return true
}
