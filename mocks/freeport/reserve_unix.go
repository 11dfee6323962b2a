//go:build unix

package freeport

import (
	"os"
	"path/filepath"
	"slices"
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

// reserve takes port for this process, unless a process took it first
// (this one too: a lock is its open file's): an exclusive lock on a file
// named for the port, shared by every process of the machine's user that
// asks here. release gives it up, for a port found bound after all. Where
// the lock cannot be taken for another reason (no temporary directory, a
// file system without locks), the port is taken unreserved.
func reserve(port int) (release func(), ok bool) {
	none := func() {}
	dir := filepath.Join(os.TempDir(), "mosaic-freeport-"+strconv.Itoa(os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return none, true
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return none, true
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return none, err != syscall.EWOULDBLOCK
	}
	held.Lock()
	held.files = append(held.files, f)
	held.Unlock()
	return func() {
		held.Lock()
		defer held.Unlock()
		if i := slices.Index(held.files, f); i >= 0 {
			held.files = slices.Delete(held.files, i, i+1)
			f.Close() // the lock goes with it
		}
	}, true
}
