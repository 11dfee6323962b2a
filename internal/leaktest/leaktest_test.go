package leaktest

import (
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// A goroutine that ends a second after the test is late, not leaked:
// goleak's own retries (some 0.4 s) would have called it a leak.
func TestALateGoroutineIsNotALeak(t *testing.T) {
	go time.Sleep(time.Second)
	if err := settle(nil, patience); err != nil {
		t.Errorf("a goroutine ending after 1 s: %v", err)
	}
}

// One that never ends is a leak, once the patience given has passed.
func TestAStuckGoroutineIsALeak(t *testing.T) {
	stuck := make(chan struct{})
	go func() { <-stuck }()
	defer close(stuck)
	if err := settle(nil, time.Second); err == nil {
		t.Error("a goroutine blocked for good was not found")
	}
}
