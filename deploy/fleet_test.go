package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// repoRoot is the root module's directory, next to this module's.
const repoRoot = ".."

// TestWithBinaries builds cmd/bff and cmd/mocksvc once (linking is what a
// build costs when the cache is warm) for the checks that run them.
func TestWithBinaries(t *testing.T) {
	bins := buildBinaries(t)
	t.Run("Manifests", func(t *testing.T) { testManifestContainers(t, bins) })
	t.Run("Compose", func(t *testing.T) { testComposeFleet(t, bins) })
	t.Run("LocalTopology", func(t *testing.T) { testLocalTopology(t, bins) })
	t.Run("LocalTopologyKeep", func(t *testing.T) { testLocalTopologyKeep(t, bins) })
}

// needTool finds an outside tool, or skips the test saying how to get it;
// under CI=true a missing tool fails instead, so CI cannot pass by skipping.
func needTool(t testing.TB, name, apt string, fallbacks ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range fallbacks {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found: apt-get install %s", name, apt)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// binary is one of the root module's commands, built for the test, with the
// flags its own flag set declares.
type binary struct {
	name, path string
	flags      map[string]flagInfo
}

// flagInfo is what -h says of a flag: its value type ("" for a bool) and
// default.
type flagInfo struct{ typ, def string }

// buildBinaries builds cmd/bff and cmd/mocksvc from the root module (the
// build cache makes a rebuild cheap) and reads each one's flags from -h.
func buildBinaries(t *testing.T) map[string]*binary {
	t.Helper()
	goTool := needTool(t, "go", "golang")
	dir := t.TempDir()
	cmd := exec.Command(goTool, "build", "-o", dir+string(filepath.Separator), "./cmd/bff", "./cmd/mocksvc")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bins := map[string]*binary{}
	for _, name := range []string{"bff", "mocksvc"} {
		b := &binary{name: name, path: filepath.Join(dir, name)}
		usage, err := b.help(nil)
		if err != nil {
			t.Fatalf("%s -h: %v", name, err)
		}
		if b.flags = parseUsage(usage); len(b.flags) == 0 {
			t.Fatalf("%s -h lists no flags:\n%s", name, usage)
		}
		bins[name] = b
	}
	return bins
}

// help runs the binary with args followed by -h, so its own flag set parses
// every argument before it meets -h and prints the usage. A well-formed
// command line ends in the help request: usage on stdout and exit status 0.
// Anything else is the parser's complaint about an argument, on stderr. The process runs with no environment but
// env, and is killed after 10 s should it start serving instead.
func (b *binary) help(env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.path, append(slices.Clone(args), "-h")...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("did not stop at -h within 10 s (an argument ended flag parsing?): %s", stderr.String())
	case err == nil && strings.Contains(stdout.String(), "Usage of"):
		return stdout.String(), nil
	case err == nil:
		return "", fmt.Errorf("exit 0 but no usage on stdout: %s", stdout.String())
	}
	return "", fmt.Errorf("%s", firstLine(stderr.String()))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// flagLine is how flag.PrintDefaults starts a flag: two spaces, -name, and
// its value type unless it is a bool.
var flagLine = regexp.MustCompile(`^  -([A-Za-z0-9][A-Za-z0-9_.-]*)(?: ([A-Za-z0-9]+))?(?:\t|$)`)

var defaultOf = regexp.MustCompile(`\(default "?([^")]*)"?\)$`)

// parseUsage reads flag.PrintDefaults output into flag name → type, default.
func parseUsage(usage string) map[string]flagInfo {
	flags := map[string]flagInfo{}
	var last string
	for line := range strings.SplitSeq(usage, "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			last = m[1]
			flags[last] = flagInfo{typ: m[2]}
			continue
		}
		if m := defaultOf.FindStringSubmatch(strings.TrimSpace(line)); m != nil && last != "" {
			f := flags[last]
			f.def = m[1]
			flags[last] = f
		}
	}
	return flags
}

// flagArg is one flag of a command line, its value made explicit.
type flagArg struct{ name, value string }

// parse splits a command line into flags by this binary's flag listing: an
// unknown flag, a missing value or a stray argument is an error.
func (b *binary) parse(args []string) ([]flagArg, error) {
	var out []flagArg
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			return nil, fmt.Errorf("%s: %q is not a flag", b.name, a)
		}
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f, ok := b.flags[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s has no flag -%s", b.name, name)
		case inline:
		case f.typ == "":
			value = "true"
		case i+1 == len(args):
			return nil, fmt.Errorf("%s: -%s needs a value", b.name, name)
		default:
			i++
			value = args[i]
		}
		out = append(out, flagArg{name, value})
	}
	return out, nil
}

// checkCommand checks a container's command line and MOSAIC_ environment:
// every flag is one of the binary's, and the binary's own parser accepts
// every value (an environment variable is checked as the flag it stands for).
func (b *binary) checkCommand(args []string, env map[string]string) ([]flagArg, error) {
	flags, err := b.parse(args)
	if err != nil {
		return nil, err
	}
	full := slices.Clone(args)
	for k, v := range env {
		name, ok := strings.CutPrefix(k, "MOSAIC_")
		if !ok {
			continue
		}
		name = strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if _, ok := b.flags[name]; !ok {
			return nil, fmt.Errorf("%s: %s names no flag (no -%s)", b.name, k, name)
		}
		full = append(full, "-"+name+"="+v)
	}
	if _, err := b.help(nil, full...); err != nil {
		return nil, fmt.Errorf("%s rejects %q: %v", b.name, full, err)
	}
	return flags, nil
}

// value is the flag's last value on the command line, else its default.
func (b *binary) value(flags []flagArg, name string) string {
	v := b.flags[name].def
	for _, f := range flags {
		if f.name == name {
			v = f.value
		}
	}
	return v
}

func (b *binary) duration(t *testing.T, flags []flagArg, name string) time.Duration {
	t.Helper()
	v := b.value(flags, name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s -%s=%q: %v", b.name, name, v, err)
	}
	return d
}

// isListenFlag tells the flags that name an address the binary listens on.
func isListenFlag(name string) bool { return name == "addr" || name == "admin-addr" }

// portOf is the port of a host:port (":9090" → 9090), or 0.
func portOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// freeAddr is a loopback address nothing listens on right now, for a
// process to bind a moment later. Its port is below the kernel's ephemeral
// range: one from that range (what listening on :0 gives) can be taken in
// that moment by any connection another process opens, and was (a bff's
// admin listener: "address already in use"). Ports are handed out in turn
// from a random start, so two asked for in one run never coincide. The
// main module's mocks/freeport does the same; this module stands alone.
func freeAddr(t *testing.T) string {
	t.Helper()
	if low := ephemeralLow(); low > minPort+1000 {
		for range 200 {
			port := minPort + int(nextPort.Add(1))%(low-minPort)
			if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				l.Close()
				return l.Addr().String()
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// minPort is the lowest port freeAddr hands out: above the well-known and
// the commonly configured ones.
const minPort = 20000

// nextPort is the last port handed out, less minPort; it starts at random
// so that concurrent test processes start apart.
var nextPort = func() *atomic.Int32 {
	var n atomic.Int32
	n.Store(rand.Int32N(10000))
	return &n
}()

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if f := strings.Fields(string(b)); err == nil && len(f) == 2 {
		if n, err := strconv.Atoi(f[0]); err == nil {
			return n
		}
	}
	return 32768
}

// local is a binary started on loopback with a container's command line.
type local struct {
	listen map[string]string // listen flag → the loopback address used
}

// startLocal runs the binary with the container's flags, except that every
// listen address becomes a free loopback one, -advertise follows -addr, and
// -registry points at registry (a local etcd) when it is set. The process is
// killed at cleanup.
func (b *binary) startLocal(t *testing.T, flags []flagArg, registry string) local {
	t.Helper()
	l := local{listen: map[string]string{}}
	var args []string
	for _, f := range flags {
		v := f.value
		switch {
		case isListenFlag(f.name):
			v = freeAddr(t)
			l.listen[f.name] = v
		case f.name == "registry":
			v = registry
		case f.name == "advertise":
			continue // set below from -addr's local address
		}
		args = append(args, "-"+f.name+"="+v)
	}
	if addr, ok := l.listen["addr"]; ok && b.flags["advertise"].typ != "" {
		args = append(args, "-advertise="+addr)
	}
	cmd := exec.Command(b.path, args...)
	dieWithParent(cmd, syscall.SIGKILL)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopProcess(cmd, os.Kill)
		if t.Failed() && out.String() != "" {
			t.Logf("%s %q said:\n%s", b.name, args, out.String())
		}
	})
	return l
}

// stopProcess sends sig and waits at most 15 s for the process to exit, then
// kills it; WaitDelay keeps a grandchild holding the output pipes from
// blocking Wait.
func stopProcess(cmd *exec.Cmd, sig os.Signal) {
	cmd.WaitDelay = 2 * time.Second
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// syncBuffer collects a process's output while the test may read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// poll calls try every 100 ms until it returns nil, at most 200 times (20 s).
func poll(try func() error) error {
	var err error
	for range 200 {
		if err = try(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// httpStatus waits for url to answer and returns the status of the first
// answer that ok accepts (or the last one seen).
func httpStatus(url string, ok func(int) bool) (int, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	code := 0
	err := poll(func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if code = resp.StatusCode; !ok(code) {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	})
	return code, err
}

// grpcServing waits for addr's gRPC health service to report service
// SERVING, as a Kubernetes grpc probe asks it.
func grpcServing(addr, service string) error {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)
	return poll(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			return err
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health of %q: %v", service, resp.GetStatus())
		}
		return nil
	})
}

// etcd is a Debian etcd on loopback for the test.
type etcd struct{ client, metrics string }

func startEtcd(t *testing.T) etcd {
	t.Helper()
	bin := needTool(t, "etcd", "etcd-server", "/usr/bin/etcd")
	e := etcd{client: freeAddr(t), metrics: freeAddr(t)}
	peer := "http://" + freeAddr(t)
	cmd := exec.Command(bin, "--name=test", "--data-dir="+t.TempDir(),
		"--listen-client-urls=http://"+e.client, "--advertise-client-urls=http://"+e.client,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer, "--initial-cluster=test="+peer,
		"--listen-metrics-urls=http://"+e.metrics)
	dieWithParent(cmd, syscall.SIGKILL)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopProcess(cmd, os.Kill) })
	if _, err := httpStatus("http://"+e.client+"/health", func(c int) bool { return c == http.StatusOK }); err != nil {
		t.Fatalf("etcd did not come up: %v\n%s", err, out.String())
	}
	return e
}

// errNotFound marks a probe path the binary does not serve.
var errNotFound = errors.New("not served")

// checkHTTPPath asks a local binary's listener for path: a liveness path must
// answer 200; a readiness path may also answer 503 (served, not ready yet).
func checkHTTPPath(addr, path string, liveness bool) error {
	code, err := httpStatus("http://"+addr+path, func(c int) bool {
		return c == http.StatusOK || (!liveness && c == http.StatusServiceUnavailable)
	})
	if code == http.StatusNotFound {
		return fmt.Errorf("%s: %w (404)", path, errNotFound)
	}
	return err
}
