package etcdtest

import (
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/resolver"

	"mosaic/clients/instance"
)

// ClientConn is a resolver.ClientConn that records what a resolver reports,
// for tests of resolvers without a gRPC channel.
type ClientConn struct {
	resolver.ClientConn // the methods resolvers should not call panic

	mu      sync.Mutex
	states  [][]instance.Instance
	errs    []error
	changed chan struct{}
}

// NewClientConn is an empty recording ClientConn.
func NewClientConn() *ClientConn { return &ClientConn{changed: make(chan struct{})} }

// UpdateState records the instances of s's addresses.
func (c *ClientConn) UpdateState(s resolver.State) error {
	list := make([]instance.Instance, len(s.Addresses))
	for i, a := range s.Addresses {
		list[i] = instance.From(a)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.states = append(c.states, list)
	c.notify()
	return nil
}

// ReportError records err.
func (c *ClientConn) ReportError(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, err)
	c.notify()
}

// notify wakes waiters; c.mu is held.
func (c *ClientConn) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// States is every list reported so far, oldest first.
func (c *ClientConn) States() [][]instance.Instance {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]instance.Instance(nil), c.states...)
}

// Errors is every error reported so far.
func (c *ClientConn) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// WaitState waits until the last reported list satisfies ok, and returns it;
// it fails the test after timeout.
func (c *ClientConn) WaitState(tb testing.TB, timeout time.Duration, ok func([]instance.Instance) bool) []instance.Instance {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		changed := c.changed
		var last []instance.Instance
		have := len(c.states) > 0
		if have {
			last = c.states[len(c.states)-1]
		}
		c.mu.Unlock()
		if have && ok(last) {
			return last
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("no matching state within %v; states: %v", timeout, c.States())
			return nil
		}
	}
}

// WaitError waits until at least one error has been reported; it fails the
// test after timeout.
func (c *ClientConn) WaitError(tb testing.TB, timeout time.Duration) error {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		changed, errs := c.changed, c.errs
		c.mu.Unlock()
		if len(errs) > 0 {
			return errs[0]
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("no error reported within %v", timeout)
			return nil
		}
	}
}
