package httpx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// limitedServer serves on loopback behind LimitConns(n). /block answers
// once unblock is closed; anything else at once.
type limitedServer struct {
	addr      string
	lim       *ConnLimit
	srv       *http.Server
	served    chan error
	reclaimed atomic.Int64
	unblock   chan struct{}
}

func startLimited(t *testing.T, n int) *limitedServer {
	t.Helper()
	return startLimitedWith(t, n, nil, nil)
}

// startLimitedWith runs handle, if not nil, at the start of every request,
// and hook, if not nil, before the limit's own ConnState.
func startLimitedWith(t *testing.T, n int, handle func(*http.Request), hook func(net.Conn, http.ConnState)) *limitedServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &limitedServer{addr: ln.Addr().String(), served: make(chan error, 1), unblock: make(chan struct{})}
	lim := LimitConns(ln, n, func() { s.reclaimed.Add(1) })
	s.lim = lim
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if handle != nil {
				handle(r)
			}
			if r.URL.Path == "/block" {
				<-s.unblock
			}
			io.WriteString(w, "ok")
		}),
		IdleTimeout: time.Minute, // far past any wait here: only the limit closes idle connections
		ConnState: func(c net.Conn, st http.ConnState) {
			if hook != nil {
				hook(c, st)
			}
			lim.ConnState(c, st)
		},
	}
	go func() { s.served <- s.srv.Serve(lim) }()
	t.Cleanup(func() {
		select {
		case <-s.unblock:
		default:
			close(s.unblock)
		}
		s.srv.Close()
		<-s.served
	})
	return s
}

// idle waits until n connections are idle: a client has its answer a
// moment before the server marks the connection idle.
func (s *limitedServer) idle(t *testing.T, n int) {
	t.Helper()
	for range 500 {
		s.lim.mu.Lock()
		got := len(s.lim.idle)
		s.lim.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d connections did not go idle within 5 s", n)
}

// client is one raw connection, so that a test knows which one is which.
type client struct {
	net.Conn
	r *bufio.Reader
}

func (s *limitedServer) dial(t *testing.T) *client {
	t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{Conn: c, r: bufio.NewReader(c)}
}

func (c *client) send(t *testing.T, path string) {
	t.Helper()
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: mosaic\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
}

// answer reads one response within wait; it fails the test on anything but
// a 200.
func (c *client) answer(t *testing.T, wait time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", wait, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// closed says whether the server closed c, waiting up to wait for it.
func (c *client) closed(wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	_, err := c.r.ReadByte()
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// makesRoom has a third client served at the cap, and wants gone closed to
// make room for it and kept not: gone has been how (idle, silent) longer.
func (s *limitedServer) makesRoom(t *testing.T, gone, kept *client, how string) {
	t.Helper()
	c := s.dial(t)
	c.send(t, "/")
	c.answer(t, 10*time.Second)
	if !gone.closed(5 * time.Second) {
		t.Errorf("the connection %s longest is still open", how)
	}
	if kept.closed(100 * time.Millisecond) {
		t.Errorf("the connection %s for less time was closed", how)
	}
}

// At the cap, two keep-alive clients done with their requests must not lock
// a third out for the idle timeout: the one idle longest makes room.
func TestAtTheCapTheConnectionIdleLongestMakesRoom(t *testing.T) {
	s := startLimited(t, 2)
	a, b := s.dial(t), s.dial(t)
	a.send(t, "/")
	a.answer(t, 5*time.Second)
	s.idle(t, 1)
	b.send(t, "/")
	b.answer(t, 5*time.Second)
	s.idle(t, 2)

	s.makesRoom(t, a, b, "idle")
	b.send(t, "/")
	b.answer(t, 5*time.Second)
	if n := s.reclaimed.Load(); n != 1 {
		t.Errorf("reclaimed %d connections, want 1", n)
	}
}

// A connection serving a request is never taken; a new one that has sent
// nothing is, once it has been silent for silentGrace, and not before.
func TestBusyConnectionsAreNotTakenNorNewOnesTooSoon(t *testing.T) {
	entered := make(chan struct{}, 1)
	s := startLimitedWith(t, 2, func(r *http.Request) {
		if r.URL.Path == "/block" {
			entered <- struct{}{}
		}
	}, nil)
	dialled := time.Now()
	fresh, busy := s.dial(t), s.dial(t)
	busy.send(t, "/block")
	<-entered // the request is in the handler

	c := s.dial(t)
	c.send(t, "/")
	c.answer(t, 10*time.Second)
	if waited := time.Since(dialled); waited < silentGrace {
		t.Errorf("a third connection was served %v after a new one opened, before it had been silent for %v", waited, silentGrace)
	}
	if !fresh.closed(5 * time.Second) {
		t.Error("the silent connection was not the one taken")
	}
	close(s.unblock)
	busy.answer(t, 5*time.Second)
}

// Closing the listener (as Shutdown does) ends an Accept that was waiting
// for a slot, and the connection it held is closed.
func TestClosingTheLimitEndsAWaitingAccept(t *testing.T) {
	s := startLimited(t, 1)
	s.dial(t).send(t, "/block") // holds the only slot, busy
	waiting := s.dial(t)
	time.Sleep(100 * time.Millisecond) // Accept has it and waits for a slot
	s.srv.Close()
	select {
	case err := <-s.served:
		if !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		s.served <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	if !waiting.closed(5 * time.Second) {
		t.Error("the connection Accept held is still open")
	}
}

// Many keep-alive clients over a small cap: connections are taken from
// under idle clients all the time, and a request that has reached the
// server is never cut by it (the handler's context stays live), nor is any
// GET lost (Go's client retries one on a kept-alive connection that
// closes). Every slot comes back when the server closes.
func TestARequestThatArrivedIsNeverCutByTheLimit(t *testing.T) {
	var handled, cut atomic.Int64
	s := startLimitedWith(t, 4, func(r *http.Request) {
		handled.Add(1)
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		if r.Context().Err() != nil {
			cut.Add(1)
		}
	}, nil)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value // what the first failure was, for the report
	for range 32 {
		wg.Go(func() {
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
			defer c.CloseIdleConnections()
			for range 100 {
				resp, err := c.Get("http://" + s.addr + "/")
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	t.Logf("%d requests handled, %d connections taken", handled.Load(), s.reclaimed.Load())
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of 3,200 GETs failed, the first with: %v", n, firstErr.Load())
	}
	if n := cut.Load(); n > 0 {
		t.Errorf("%d requests cut in their handler by the limit closing their connection", n)
	}
	if s.reclaimed.Load() == 0 {
		t.Error("no connection was taken: the test did not reach the cap")
	}
	s.srv.Close()
	for range 100 {
		if len(s.lim.slots) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d slots still held after the server closed", len(s.lim.slots))
}

// The server gives a connection's slot back when it closes it, and runs
// its hook only after: a new connection can take the slot in between. The
// closed one must not linger as idle, or the next new connection would
// pick it, close nothing, and wait though another is idle. A slow hook
// stands in for the scheduler.
func TestAClosedConnectionIsNotTakenForAnIdleOne(t *testing.T) {
	// The hooks still sleeping when the test ends are waited for, or
	// goleak would find their goroutines: every connection opened has
	// closed, hook included. Cleanups run last first, so this runs once
	// the server has closed, when no connection opens any more; a
	// connection's close may still come after.
	var opened, closed atomic.Int32
	t.Cleanup(func() {
		for deadline := time.Now().Add(5 * time.Second); closed.Load() < opened.Load() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	})
	s := startLimitedWith(t, 3, nil, func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed:
			defer closed.Add(1)
			time.Sleep(500 * time.Millisecond)
		}
	})
	a1, a2, b := s.dial(t), s.dial(t), s.dial(t)
	for i, c := range []*client{a1, a2, b} {
		c.send(t, "/")
		c.answer(t, 5*time.Second)
		s.idle(t, i+1)
	}
	a1.Close() // both clients leave; the server closes its ends, hooks pending
	a2.Close()
	time.Sleep(100 * time.Millisecond)
	s.dial(t) // these two take the slots given back, and send nothing
	s.dial(t)
	time.Sleep(100 * time.Millisecond)
	d := s.dial(t)
	d.send(t, "/")
	d.answer(t, 400*time.Millisecond) // well within the hooks' delay
	if !b.closed(5 * time.Second) {
		t.Error("the idle connection was not the one taken")
	}
}

// A client that holds connections open and sends nothing, or the start of
// a request and no more, opening another as each closes, does not lock out
// one that sends its request: a connection silent past silentGrace, or in
// a header past partialGrace, is taken for it. The server has no
// ReadHeaderTimeout, so only the limit ever closes the flood's (before,
// the request waited forever). The start of a request sent after one was
// served counts as well: Go's server waits for it under the IdleTimeout,
// and the connection, busy from its first byte, was taken neither as idle
// nor as new (before, the request waited for the IdleTimeout, here a
// minute).
func TestUnprovenConnectionsDoNotLockClientsOut(t *testing.T) {
	for _, tc := range []struct {
		served bool // a request first, answered, then sends
		sends  string
	}{{false, ""}, {false, "G"}, {true, "G"}, {true, "GET / HT"}} {
		served, sends := tc.served, tc.sends
		t.Run(fmt.Sprintf("served %v, sending %q", served, sends), func(t *testing.T) {
			s := startLimited(t, 4)
			var (
				mu     sync.Mutex
				open   []net.Conn
				closed bool
				wg     sync.WaitGroup
			)
			t.Cleanup(func() {
				mu.Lock()
				closed = true
				for _, c := range open {
					c.Close()
				}
				mu.Unlock()
				wg.Wait()
			})
			for range 16 {
				wg.Go(func() {
					for {
						c, err := net.Dial("tcp", s.addr)
						mu.Lock()
						if err != nil || closed {
							mu.Unlock()
							if c != nil {
								c.Close()
							}
							return
						}
						open = append(open, c)
						mu.Unlock()
						if served {
							io.WriteString(c, "GET / HTTP/1.1\r\nHost: mosaic\r\n\r\n")
							resp, err := http.ReadResponse(bufio.NewReader(c), nil)
							if err != nil {
								c.Close()
								continue // taken before its answer
							}
							resp.Body.Close() // "ok": read whole with the header
						}
						io.WriteString(c, sends)
						c.Read(make([]byte, 1)) // until the server, or the cleanup, closes it
						c.Close()
					}
				})
			}
			time.Sleep(100 * time.Millisecond) // the flood holds every slot
			for range 2 {
				start := time.Now()
				c := s.dial(t)
				c.send(t, "/")
				c.answer(t, 15*time.Second)
				t.Logf("answered after %v", time.Since(start).Round(time.Millisecond))
			}
			if s.reclaimed.Load() == 0 {
				t.Error("no connection of the flood was taken")
			}
		})
	}
}

// Of the connections silent past silentGrace, the one open longest makes
// room first: the flood's oldest, never a client that has only just
// connected.
func TestTheLongestSilentConnectionMakesRoomFirst(t *testing.T) {
	accepted := make(chan struct{}, 3)
	s := startLimitedWith(t, 2, nil, func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			accepted <- struct{}{}
		}
	})
	older := s.dial(t)
	<-accepted
	time.Sleep(50 * time.Millisecond) // older by this much
	newer := s.dial(t)
	<-accepted
	time.Sleep(2 * silentGrace) // both past the grace
	s.makesRoom(t, older, newer, "silent")
}

// The graces are the documents' (README, docs/ARCHITECTURE.md): 250 ms of
// silence, 1 s for a first header.
func TestTheGracesAreTheDocuments(t *testing.T) {
	if silentGrace != 250*time.Millisecond || partialGrace != time.Second {
		t.Errorf("silentGrace %v, partialGrace %v; the docs say 250ms and 1s", silentGrace, partialGrace)
	}
}
