// Package etcdtest runs a real etcd (Debian's etcd-server binary) for tests:
// one member on loopback ports and a temporary data directory, which a test
// can stop, kill and restart on the same ports and data, to play the faults
// that registries really have.
//
// It is a test double in the sense of the repository's rule (doubles live in
// mocks/), though what it runs is the real server.
package etcdtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"mosaic/internal/tooltest"
	"mosaic/mocks/child"
	"mosaic/mocks/freeport"
)

// Binary is where Debian's etcd-server package installs etcd.
const Binary = "/usr/bin/etcd"

const (
	// readyTimeout bounds how long a start may take before the test fails.
	readyTimeout = 30 * time.Second
	// stopGrace is how long Stop waits after SIGTERM before it kills.
	stopGrace = 10 * time.Second
)

// Server is one etcd member run by a test.
type Server struct {
	tb         testing.TB
	dir        string // data directory, kept across restarts
	logPath    string // etcd's stderr, appended across restarts
	clientPort int
	peerPort   int
	certs      *Certs // nil: plaintext
	// root is the root user's password once EnableAuth has run, for the
	// clients Client makes.
	root string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
}

// Start runs etcd on 127.0.0.1 and returns once it answers its health
// endpoint. It skips the test when the binary is missing, unless CI=true,
// where a missing tool fails. Cleanup stops the server.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return start(tb, false)
}

// StartTLS is Start with TLS on the client port: etcd presents a
// certificate of a CA made for the test (Certs) and requires a client
// certificate it signed (--client-cert-auth).
func StartTLS(tb testing.TB) *Server {
	tb.Helper()
	return start(tb, true)
}

func start(tb testing.TB, secure bool) *Server {
	tb.Helper()
	if _, err := os.Stat(Binary); err != nil {
		tooltest.Missing(tb, "no %s: apt-get install etcd-server (%v)", Binary, err)
	}
	dir := tb.TempDir()
	s := &Server{tb: tb, dir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "etcd.log")}
	if secure {
		certs, err := NewCerts(dir)
		if err != nil {
			tb.Fatalf("etcdtest: certificates: %v", err)
		}
		s.certs = &certs
	}
	tb.Cleanup(s.Kill)
	// A port picked free may be taken before etcd binds it; a few tries make
	// that race harmless.
	var err error
	for range 3 {
		if s.clientPort, s.peerPort, err = twoFreePorts(); err != nil {
			continue
		}
		_ = os.RemoveAll(s.dir) // a failed try may have bootstrapped other ports

		if err = s.start(); err == nil {
			return s
		}
	}
	tb.Fatalf("etcdtest: %v", err)
	return nil
}

// Endpoint is the client address as -registry takes it: host:port, or
// https://host:port for a server started with StartTLS.
func (s *Server) Endpoint() string {
	if s.certs != nil {
		return "https://" + s.addr()
	}
	return s.addr()
}

func (s *Server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.clientPort) }

// Certs are the PEM files of a server started with StartTLS.
func (s *Server) Certs() Certs {
	if s.certs == nil {
		s.tb.Fatal("etcdtest: Certs of a plaintext server")
	}
	return *s.certs
}

// Endpoints is the client addresses, as clientv3.Config wants them.
func (s *Server) Endpoints() []string { return []string{s.Endpoint()} }

// Running reports whether the etcd process is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Stop ends etcd with SIGTERM, killing it if it has not exited after a grace.
// Stopping a stopped server does nothing.
func (s *Server) Stop() { s.signal(syscall.SIGTERM) }

// Kill ends etcd with SIGKILL, as a crash would.
func (s *Server) Kill() { s.signal(syscall.SIGKILL) }

// Pause stops etcd where it is (SIGSTOP), its connections open and every
// call to it waiting, until Resume; a test's cleanup resumes it.
func (s *Server) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGSTOP)
		s.tb.Cleanup(s.Resume)
	}
}

// Resume lets a paused etcd go on (SIGCONT).
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Restart stops etcd if it runs, then starts it again on the same ports and
// data directory, and returns once it answers.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.tb.Fatalf("etcdtest: restart: %v", err)
	}
}

// Wipe stops etcd, deletes its data and starts it again, empty, on the same
// ports: an etcd whose disk was lost, its revision back at 1.
func (s *Server) Wipe() {
	s.tb.Helper()
	s.Stop()
	if err := os.RemoveAll(s.dir); err != nil {
		s.tb.Fatalf("etcdtest: wipe: %v", err)
	}
	if err := s.start(); err != nil {
		s.tb.Fatalf("etcdtest: start after the wipe: %v", err)
	}
}

// Client is a client of s with a quiet logger, with the client
// certificate of a TLS server and as root once auth is enabled; cleanup
// closes it.
func (s *Server) Client(tb testing.TB) *clientv3.Client {
	tb.Helper()
	cfg := quiet(s.Endpoints())
	if s.certs != nil {
		var err error
		if cfg.TLS, err = s.certs.clientTLS(); err != nil {
			tb.Fatalf("etcdtest: %v", err)
		}
	}
	if s.root != "" {
		cfg.Username, cfg.Password = "root", s.root
	}
	return newClient(tb, cfg)
}

// NewClient is a client of endpoints with a quiet logger (etcd's client warns
// on every reconnect, which tests that stop etcd provoke on purpose); cleanup
// closes it.
func NewClient(tb testing.TB, endpoints ...string) *clientv3.Client {
	tb.Helper()
	return newClient(tb, quiet(endpoints))
}

// quiet is the configuration of a client of endpoints with a logger that
// says nothing.
func quiet(endpoints []string) clientv3.Config {
	return clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
}

func newClient(tb testing.TB, cfg clientv3.Config) *clientv3.Client {
	tb.Helper()
	cli, err := clientv3.New(cfg)
	if err != nil {
		tb.Fatalf("etcd client: %v", err)
	}
	tb.Cleanup(func() { _ = cli.Close() })
	return cli
}

// Compact compacts the key space at its current revision, so that any watch
// resuming from an older revision is told it was compacted. It returns the
// revision.
func (s *Server) Compact(tb testing.TB) int64 {
	tb.Helper()
	cli := s.Client(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, "compact-probe")
	if err != nil {
		tb.Fatalf("etcdtest: revision: %v", err)
	}
	rev := resp.Header.GetRevision()
	if _, err := cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		tb.Fatalf("etcdtest: compact at %d: %v", rev, err)
	}
	return rev
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own descriptor
	client := "http://" + s.addr()
	var tlsFlags []string
	var health *tls.Config
	if s.certs != nil {
		client = "https://" + s.addr()
		tlsFlags = []string{"--cert-file", s.certs.ServerCert, "--key-file", s.certs.ServerKey,
			"--trusted-ca-file", s.certs.CA, "--client-cert-auth"}
		if health, err = s.certs.clientTLS(); err != nil {
			return err
		}
	}
	peer := "http://127.0.0.1:" + strconv.Itoa(s.peerPort)
	cmd := exec.Command(Binary, append([]string{
		"--name", "etcdtest",
		"--data-dir", s.dir,
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "etcdtest=" + peer,
		"--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
	}, tlsFlags...)...)
	cmd.Env = cleanEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = logf, logf
	child.DieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", Binary, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	if err := waitHealthy(client, health, done); err != nil {
		s.kill(syscall.SIGKILL)
		return fmt.Errorf("%w; etcd log tail:\n%s", err, tail(s.logPath, 2000))
	}
	return nil
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill(sig)
}

// kill sends sig and waits for the process, escalating to SIGKILL after
// stopGrace. s.mu is held.
func (s *Server) kill(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(stopGrace):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// waitHealthy polls etcd's /health until it says true, the process exits or
// readyTimeout passes.
func waitHealthy(clientURL string, tlsConf *tls.Config, exited <-chan struct{}) error {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: tlsConf}}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if resp, err := hc.Get(clientURL + "/health"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"true"`) {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("etcd exited while starting")
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("etcd not healthy within %v", readyTimeout)
}

// twoFreePorts are two loopback ports for etcd's client and peer
// listeners, kept across its restarts (freeport: below the ephemeral range,
// where no connection takes them while it is down).
func twoFreePorts() (int, int, error) {
	a, err := freeport.Port()
	if err != nil {
		return 0, 0, err
	}
	b, err := freeport.Port()
	return a, b, err
}

// cleanEnv drops ETCD_* variables, which etcd reads as flags.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "ETCD_") {
			out = append(out, kv)
		}
	}
	return out
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
