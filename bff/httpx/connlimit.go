package httpx

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// ConnLimit keeps at most n connections of a listener open. At the cap a
// new connection takes the place of the one idle longest between two
// requests, as nginx reuses its keep-alive connections when it runs out of
// worker_connections: otherwise n keep-alive clients, each done with its
// screen, would lock every other client out for the server's IdleTimeout.
// A connection that has sent nothing for silentGrace since its accept, or
// not the whole header of a request within partialGrace (of its accept for
// its first request, of the request's first byte on a kept-alive
// connection), is taken before any of them: a client that opens
// connections by the thousand and sends nothing on them (or a byte),
// opening another as each closes, would otherwise hold every slot
// (each for the ReadHeaderTimeout) and keep clients that send their
// requests waiting in the accept queue. So would one that, done with a
// request, sends the first bytes of the next and no more: Go's server
// waits for those under the IdleTimeout (2 minutes), not the
// ReadHeaderTimeout. A real client's header comes whole, in one segment;
// one that has not arrived by then is no screen anyone waits for. A newer
// connection, or one serving a request, is never taken. When none can be,
// the new one waits until one can or one closes, and those behind it wait
// in the kernel's accept queue, costing the process nothing.
//
// A request being served is never cut, bar one race: a header that
// completes, after partialGrace of trickling, as its connection is taken.
// A request that arrives on an idle connection as it is taken finds the
// connection closed, as with the IdleTimeout; HTTP/1.1 clients retry an
// idempotent request on a kept-alive connection that closes. (So does one
// pipelined behind the previous, which Go's clients and browsers do not
// send.)
//
// The http.Server must call ConnState, which is how ConnLimit tells idle
// connections from busy ones, with the connections Accept returned (no TLS
// wrapping them).
type ConnLimit struct {
	net.Listener
	slots     chan struct{} // one token per open connection
	idled     chan struct{} // a connection went idle: a waiting Accept may take it
	done      chan struct{}
	closeOnce sync.Once
	reclaimed func()

	mu    sync.Mutex
	tick  uint64
	idle  map[*limitedConn]uint64    // idle connections, by when they went idle
	fresh map[*limitedConn]time.Time // unproven: no first request read yet, by their accept; or the header of a later one under way, by its first byte
}

// silentGrace is how long a new connection may send nothing before it may
// be taken for another, and partialGrace how long it may take to send the
// whole header of its first request from its accept, or of a later one
// from its first byte. A client's first request comes with
// the last step of its handshake, or right after it, whatever the round
// trip; a header cut across segments, a round trip or a retransmission
// later. At the cap a flood of such connections lets clients in at up to
// the cap every grace.
const (
	silentGrace  = 250 * time.Millisecond
	partialGrace = time.Second
)

// LimitConns wraps ln. reclaimed, if not nil, is called for each
// connection closed to make room.
func LimitConns(ln net.Listener, n int, reclaimed func()) *ConnLimit {
	return &ConnLimit{
		Listener:  ln,
		slots:     make(chan struct{}, n),
		idled:     make(chan struct{}, 1),
		done:      make(chan struct{}),
		reclaimed: reclaimed,
		idle:      map[*limitedConn]uint64{},
		fresh:     map[*limitedConn]time.Time{},
	}
}

// Accept takes a slot after the kernel hands over a connection, not before,
// so that an idle connection is closed only for a client that is there.
func (l *ConnLimit) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	var silent *time.Timer // while it waits: a new connection may outlive silentGrace
	defer func() {
		if silent != nil {
			silent.Stop()
		}
	}()
	for tried := false; ; tried = true {
		select {
		case l.slots <- struct{}{}:
			return l.admit(c), nil
		default:
		}
		if !tried {
			l.reclaim()
			continue
		}
		if silent == nil {
			silent = time.NewTimer(silentGrace / 4)
		}
		select {
		case l.slots <- struct{}{}:
			return l.admit(c), nil
		case <-l.idled:
			l.reclaim()
		case <-silent.C:
			silent.Reset(silentGrace / 4)
			l.reclaim()
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		}
	}
}

// admit wraps c, which holds a slot: idle until its first byte, and fresh
// (unproven) until the server has read its first request.
func (l *ConnLimit) admit(c net.Conn) *limitedConn {
	lc := &limitedConn{Conn: c, limit: l}
	lc.state.Store(connIdle)
	l.mu.Lock()
	l.fresh[lc] = time.Now()
	l.mu.Unlock()
	return lc
}

// Close closes the listener and ends an Accept waiting for a slot.
func (l *ConnLimit) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// ConnState is the http.Server hook.
func (l *ConnLimit) ConnState(c net.Conn, s http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	if s == http.StateNew {
		return // fresh since admit, until its first byte
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fresh, lc)
	if s != http.StateIdle {
		lc.state.CompareAndSwap(connIdle, connBusy)
		delete(l.idle, lc)
		return
	}
	if !lc.state.CompareAndSwap(connBusy, connIdle) {
		return // closed
	}
	l.tick++
	l.idle[lc] = l.tick
	select {
	case l.idled <- struct{}{}:
	default:
	}
}

// reclaim closes the connection silent longest past silentGrace, or else
// the one idle longest, if any: one whose state it turns from idle to
// closed, so that a request that arrived meanwhile is not cut. The scans
// are linear, but they run only at the cap, once per connection let in.
func (l *ConnLimit) reclaim() {
	l.mu.Lock()
	oldest := l.unprovenLongest(time.Now())
	for oldest == nil && len(l.idle) > 0 {
		oldest = nil
		for c, since := range l.idle {
			if oldest == nil || since < l.idle[oldest] {
				oldest = c
			}
		}
		delete(l.idle, oldest)
		if oldest.state.CompareAndSwap(connIdle, connClosed) {
			break
		}
		oldest = nil // bytes arrived on it, or it closed
	}
	l.mu.Unlock()
	if oldest == nil {
		return
	}
	// The server may have closed it already, its hook not run yet.
	if first, _ := oldest.close(); first && l.reclaimed != nil {
		l.reclaimed()
	}
}

// unprovenLongest takes, out of the unproven connections, the one there
// longest that is silent past silentGrace since its accept or still in a
// header past partialGrace, turning its state to closed; nil when there is
// none. l.mu is held.
func (l *ConnLimit) unprovenLongest(now time.Time) *limitedConn {
	for {
		var oldest *limitedConn
		var from int32
		for c, at := range l.fresh {
			st := c.state.Load()
			due := st == connIdle && at.Before(now.Add(-silentGrace)) || st == connBusy && at.Before(now.Add(-partialGrace))
			if due && (oldest == nil || at.Before(l.fresh[oldest])) {
				oldest, from = c, st
			}
		}
		if oldest == nil {
			return nil
		}
		if oldest.state.CompareAndSwap(from, connClosed) {
			delete(l.fresh, oldest)
			return oldest
		}
		if oldest.state.Load() == connClosed {
			delete(l.fresh, oldest)
		}
		// else its first byte came meanwhile: looked at again
	}
}

// limitedConn gives its slot back when it closes, once, whoever closes it
// first: the server, or reclaim.
type limitedConn struct {
	net.Conn
	limit   *ConnLimit
	release sync.Once
	state   atomic.Int32
}

// A limitedConn's state: busy from its first byte, idle between requests
// (ConnState says when), closed once reclaim or the server closes it.
const (
	connBusy int32 = iota
	connIdle
	connClosed
)

// Read marks the connection busy the moment a byte of the next request
// arrives, before the server's hook would, and unproven until the server
// has the whole header (its hook says when); bytes arriving after reclaim
// chose it are dropped, so a request is never handled on a connection about
// to close (its client sees the close, as with the idle timeout).
func (c *limitedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		if c.state.CompareAndSwap(connIdle, connBusy) {
			c.limit.started(c)
		} else if c.state.Load() == connClosed {
			return 0, net.ErrClosed
		}
	}
	return n, err
}

// started makes a kept-alive connection on which a request has begun
// unproven, from now, until the server has read its header. A new one is
// unproven since its accept already.
func (l *ConnLimit) started(c *limitedConn) {
	now := time.Now()
	l.mu.Lock()
	if _, ok := l.fresh[c]; !ok {
		l.fresh[c] = now
	}
	l.mu.Unlock()
}

func (c *limitedConn) Close() error {
	_, err := c.close()
	return err
}

// close says whether this call was the one that closed it.
func (c *limitedConn) close() (first bool, err error) {
	c.release.Do(func() { first = true }) // before the close, which wakes the server's reader
	if first {
		// The server's hook comes after the slot is back: until then
		// reclaim must see this one is no idle connection to take.
		c.state.Store(connClosed)
	}
	err = c.Conn.Close()
	if first {
		<-c.limit.slots
	}
	return first, err
}
