package conn

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// freezer forwards one TCP connection at a time to a server until frozen;
// then it passes nothing either way and keeps the connections open, as the
// kernel does for a process that hangs (SIGSTOP, a deadlock): the client's
// TCP stays up, and nothing it sends is ever answered.
type freezer struct {
	l      net.Listener
	mu     sync.Mutex
	frozen chan struct{} // closed when frozen
	closed chan struct{} // closed when the client closes a connection
	once   sync.Once
}

func startFreezer(t *testing.T, server string) *freezer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{l: l, frozen: make(chan struct{}), closed: make(chan struct{})}
	var wg sync.WaitGroup
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		f.mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		f.mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			upstream, err := net.Dial("tcp", server)
			if err != nil {
				client.Close()
				continue
			}
			f.mu.Lock()
			conns = append(conns, client, upstream)
			f.mu.Unlock()
			wg.Go(func() {
				f.pipe(upstream, client)
				f.once.Do(func() { close(f.closed) }) // the client hung up
			})
			wg.Go(func() { f.pipe(client, upstream) })
		}
	})
	return f
}

// pipe copies src to dst until src ends, holding what it reads once frozen.
func (f *freezer) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		select {
		case <-f.frozen:
			continue // read and dropped: never reaches the other side
		default:
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (f *freezer) freeze() { close(f.frozen) }

// A downstream instance that hangs is found out by keepalive pings and its
// connection closed, so the balancer stops handing it calls (a reconnect
// never completes the HTTP/2 handshake). Without pings the connection
// stays READY, and the picker tries the instance again each time its
// latency estimate has decayed, failing a live call each time (seen with
// a SIGSTOPped mocksvc: 2.8% of screens hit for as long as it hung).
func TestAHungInstancesConnectionIsClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a keepalive ping (about 13 s)")
	}
	t.Parallel() // mostly waiting
	// A connection the freezer opens after the hang never sends its
	// preface; the server gives up on it in a second, not the default two
	// minutes that Stop would wait for.
	addr := startHealth(t, grpc.ConnectionTimeout(time.Second),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}))
	f := startFreezer(t, addr)
	cc, err := Dial("stat", "static:///"+f.l.Addr().String(), Options{Keepalive: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	check := healthCheck(cc)
	if err := check(5 * time.Second); err != nil {
		t.Fatalf("before the hang: %v", err)
	}
	f.freeze()
	// Calls keep coming, as a live bff's do: a ping goes out with the
	// first call after 10 s with nothing read, and its ACK never comes.
	deadline := time.After(25 * time.Second)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-f.closed:
			return
		case <-deadline:
			t.Fatal("the hung instance's connection is still open 25 s after it hung")
		case <-tick.C:
			if err := check(200 * time.Millisecond); err == nil {
				t.Fatal("a call to the hung instance succeeded")
			}
		}
	}
}
