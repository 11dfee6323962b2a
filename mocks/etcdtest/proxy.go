package etcdtest

import (
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// Proxy is a loopback TCP proxy in front of an address that a test can cut
// and heal, to partition one client from etcd while etcd keeps running (and
// other clients keep writing and compacting), or from any TCP server; while
// cut it records the client's tries to reconnect.
type Proxy struct {
	lis    net.Listener
	target string

	mu      sync.Mutex
	cut     bool
	conns   map[net.Conn]struct{}
	refused []time.Time // when each connection refused while cut came in
	wg      sync.WaitGroup
}

// NewProxy listens on 127.0.0.1 and forwards every connection to target.
// Cleanup closes it and waits for its goroutines.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	p := &Proxy{lis: lis, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	tb.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port, to give the client instead of the target.
func (p *Proxy) Addr() string { return p.lis.Addr().String() }

// Cut closes every proxied connection and refuses new ones (accepting and
// closing them at once) until Heal.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Heal lets connections through again.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

func (p *Proxy) close() {
	p.lis.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	for {
		c, err := p.lis.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

func (p *Proxy) serve(c net.Conn) {
	if !p.track(c) {
		p.mu.Lock()
		p.refused = append(p.refused, time.Now())
		p.mu.Unlock()
		c.Close()
		return
	}
	defer p.untrack(c)
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(up) {
		up.Close()
		return
	}
	defer p.untrack(up)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		dst.Close() // ends the other direction too
		src.Close()
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
}

// Refused lists when each connection the proxy refused while cut came in:
// a client's attempts to reconnect.
func (p *Proxy) Refused() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refused)
}

// LongestWithoutTry is the longest stretch between from and until in
// which no refused connection came in: how long a client waited, at most,
// between tries to reconnect.
func (p *Proxy) LongestWithoutTry(from, until time.Time) time.Duration {
	last, longest := from, time.Duration(0)
	for _, at := range append(p.Refused(), until) {
		if at.After(last) && !at.After(until) {
			longest = max(longest, at.Sub(last))
			last = at
		}
	}
	return longest
}

// track registers c unless the proxy is cut.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	c.Close()
}
