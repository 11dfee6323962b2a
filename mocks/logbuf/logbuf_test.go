package logbuf

import (
	"strings"
	"sync"
	"testing"
)

// Writers and a reader at once: the race detector has the last word.
func TestConcurrentWritesAndReads(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "x\n"); n != 400 {
		t.Errorf("%d lines, want 400", n)
	}
}
