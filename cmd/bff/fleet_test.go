package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"mosaic/mocks/child"
	"mosaic/mocks/etcdtest"
	"mosaic/mocks/freeport"
)

// The fleet tests run the governance topology as local processes: a real
// etcd (Debian's etcd-server), mocksvc processes registered in it, and a bff
// driven through run with -registry. Calls are counted at the mocks, from
// their own /metrics.

// fleet is one etcd and the mocksvc binary to start instances with.
type fleet struct {
	t       *testing.T
	etcd    *etcdtest.Server
	mocksvc string
	// registry is the flags every process reaches etcd with.
	registry []string
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	if testing.Short() {
		t.Skip("starts etcd and several mocksvc processes")
	}
	etcd := etcdtest.Start(t)
	return &fleet{t: t, etcd: etcd, mocksvc: buildMocksvc(t), registry: []string{"-registry", etcd.Endpoint()}}
}

// newSecureFleet is a fleet whose etcd takes TLS with client certificates
// only, and users only: every process gets the CA, a client certificate
// and a user's password file.
func newSecureFleet(t *testing.T) *fleet {
	t.Helper()
	if testing.Short() {
		t.Skip("starts etcd and several mocksvc processes")
	}
	etcd := etcdtest.StartTLS(t)
	etcd.EnableAuth(t, "mosaic", "s3cret")
	password := filepath.Join(t.TempDir(), "registry-password")
	if err := os.WriteFile(password, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := etcd.Certs()
	return &fleet{t: t, etcd: etcd, mocksvc: buildMocksvc(t), registry: []string{
		"-registry", etcd.Endpoint(), "-registry-ca", c.CA, "-registry-cert", c.ClientCert, "-registry-key", c.ClientKey,
		"-registry-user", "mosaic", "-registry-password-file", password,
	}}
}

// mockProc is one mocksvc process serving all six services.
type mockProc struct {
	name  string
	admin string
	cmd   *exec.Cmd
	done  chan struct{}
}

// freeAddr is a loopback address nobody listens on right now, for a bff
// process to bind (package freeport says why not the kernel's choice).
func freeAddr(t *testing.T) string {
	t.Helper()
	a, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// mock starts an instance of every service, registered under name with
// the given lane and cluster, and waits until it is registered.
func (f *fleet) mock(name, color, cluster string) *mockProc {
	t := f.t
	t.Helper()
	addr, admin := freeAddr(t), freeAddr(t)
	cmd := exec.Command(f.mocksvc, append([]string{"-addr", addr, "-advertise", addr, "-admin-addr", admin,
		"-instance-id", name, "-color", color, "-cluster", cluster, "-latency", "2ms"}, f.registry...)...)
	child.DieWithParent(cmd)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := &mockProc{name: name, admin: "http://" + admin, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(m.done) }()
	t.Cleanup(func() { m.signal(syscall.SIGKILL); <-m.done })
	f.waitKeys(name, true, 20*time.Second)
	return m
}

func (m *mockProc) signal(sig syscall.Signal) {
	select {
	case <-m.done:
	default:
		m.cmd.Process.Signal(sig)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (m *mockProc) stop(t *testing.T) {
	t.Helper()
	m.signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not exit after SIGTERM", m.name)
	}
	if code := m.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("%s exited %d after SIGTERM, want 0", m.name, code)
	}
}

// calls is how many gRPC calls the instance has served.
func (m *mockProc) calls(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(m.admin + "/metrics")
	if err != nil {
		t.Fatalf("%s /metrics: %v", m.name, err)
	}
	defer resp.Body.Close()
	total := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "mock_rpc_calls_total{") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", m.name, line, err)
		}
		total += v
	}
	return int(total)
}

// setServing flips the instance's gRPC health.
func (m *mockProc) setServing(t *testing.T, serving bool) {
	t.Helper()
	resp, err := http.Post(m.admin+"/health?serving="+strconv.FormatBool(serving), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s /health: %d", m.name, resp.StatusCode)
	}
}

// waitKeys waits until instance name has keys in the registry (present)
// or none (!present), and says how long that took.
func (f *fleet) waitKeys(name string, present bool, within time.Duration) time.Duration {
	t := f.t
	t.Helper()
	cli := f.etcd.Client(t)
	start := time.Now()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		resp, err := cli.Get(ctx, "/mosaic/services/", clientv3.WithPrefix())
		cancel()
		if err == nil {
			found := false
			for _, kv := range resp.Kvs {
				found = found || strings.HasSuffix(string(kv.Key), "/"+name)
			}
			if found == present {
				return time.Since(start)
			}
		}
		if time.Since(start) > within {
			t.Fatalf("%s: registered=%v not seen within %v", name, present, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// bffProc is a bff run in-process through run.
type bffProc struct {
	public, admin string
}

func (f *fleet) bff(args ...string) *bffProc {
	f.t.Helper()
	b := f.start(args...)
	waitReady(f.t, b.admin)
	return b
}

// start runs a bff, as bff does, without waiting for it to be ready.
func (f *fleet) start(args ...string) *bffProc {
	t := f.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	// Caches off: the fleet tests count where each screen's calls go, and
	// a cache would answer the same screen from memory after the first.
	// Warnings only (registry trouble, downstream failures), the last of
	// them shown when the test fails.
	all := slices.Concat([]string{"bff", "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-trusted-proxies", "127.0.0.1/32", "-cache=false", "-log-level", "warn"}, f.registry, args)
	logs := &logTail{max: 40}
	go func() {
		done <- run(ctx, all, func(string) string { return "" }, pw, logs)
		pw.Close()
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bff %v logged, last %d lines:\n%s", args, logs.max, logs)
		}
		cancel()
		if err := returned(t, done, 20*time.Second); err != nil {
			t.Errorf("bff run: %v", err)
		}
	})
	public, admin := addrs(t, pr)
	return &bffProc{public: public, admin: admin}
}

// feed asks for a web feed as viewer 42 in lane color ("" = uncolored)
// and returns its status and degraded sections.
func (b *bffProc) feed(t *testing.T, color string) (int, []string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.public+"/web/v1/feed?ps=10", nil)
	req.Header.Set("X-User-Id", "42")
	if color != "" {
		req.Header.Set("X-Color", color)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []string{err.Error()}
	}
	defer resp.Body.Close()
	var body struct {
		Degraded []struct{ Section, Reason string } `json:"degraded"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	var degraded []string
	for _, d := range body.Degraded {
		degraded = append(degraded, d.Section+":"+d.Reason)
	}
	return resp.StatusCode, degraded
}

// eventually retries cond until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
	}
}

// counts snapshots the calls served by each instance.
func counts(t *testing.T, ms ...*mockProc) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range ms {
		out[m.name] = m.calls(t)
	}
	return out
}

// delta is what each instance served since before.
func delta(t *testing.T, before map[string]int, ms ...*mockProc) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range ms {
		out[m.name] = m.calls(t) - before[m.name]
	}
	return out
}

// stream sends a steady, bounded stream of feed requests from a few
// workers until stop, tallying statuses and degraded answers.
type stream struct {
	mu       sync.Mutex
	status   map[int]int
	degraded map[string]int
	stop     chan struct{}
	wg       sync.WaitGroup
}

func startStream(t *testing.T, b *bffProc, workers int, every time.Duration) *stream {
	s := &stream{status: map[int]int{}, degraded: map[string]int{}, stop: make(chan struct{})}
	for range workers {
		s.wg.Go(func() {
			tick := time.NewTicker(every)
			defer tick.Stop()
			for {
				select {
				case <-s.stop:
					return
				case <-tick.C:
				}
				code, degraded := b.feed(t, "")
				s.mu.Lock()
				s.status[code]++
				for _, d := range degraded {
					s.degraded[d]++
				}
				s.mu.Unlock()
			}
		})
	}
	t.Cleanup(s.end)
	return s
}

func (s *stream) end() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
}

// failed ends the stream and returns how many requests did not get a 200,
// logging the tallies.
func (s *stream) failed(t *testing.T) int {
	t.Helper()
	s.end()
	s.mu.Lock()
	defer s.mu.Unlock()
	bad, total := 0, 0
	for code, n := range s.status {
		total += n
		if code != http.StatusOK {
			bad += n
		}
	}
	t.Logf("scene requests: %d in all, statuses %v, degraded sections %v", total, s.status, s.degraded)
	if total == 0 {
		t.Fatal("the stream sent nothing")
	}
	return bad + len(s.degraded)
}

// logTail keeps the last max lines written to it (slog writes a record in
// one Write), for a failed test to show what a process said.
type logTail struct {
	max   int
	mu    sync.Mutex
	lines []string
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimRight(string(p), "\n"))
	if len(l.lines) > l.max {
		l.lines = l.lines[len(l.lines)-l.max:]
	}
	return len(p), nil
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
