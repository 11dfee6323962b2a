package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// child is one implementation under test, running as its own process.
type child struct {
	impl    string
	cmd     *exec.Cmd
	base    string // public base URL, e.g. http://127.0.0.1:1234
	metrics string // URL of its Prometheus /metrics
	admin   string // mosaic's admin base URL; "" for the others
	stderr  *tailBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// announcement reads a child's stdout line by line until parse says the
// child announced everything, then discards the rest.
type announcement struct {
	mu    sync.Mutex
	buf   []byte
	found bool
	ready chan struct{}
	parse func(line string) bool
}

func (a *announcement) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.found {
		return len(p), nil
	}
	a.buf = append(a.buf, p...)
	for {
		i := bytes.IndexByte(a.buf, '\n')
		if i < 0 {
			break
		}
		line := string(a.buf[:i])
		a.buf = a.buf[i+1:]
		if a.parse(line) {
			a.found, a.buf = true, nil
			close(a.ready)
			break
		}
	}
	if len(a.buf) > 64<<10 {
		a.buf = nil // no announcement is that long
	}
	return len(p), nil
}

// tailBuffer keeps the last bytes a child wrote to stderr, to show when it fails.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 8 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = t.buf[len(t.buf)-tailMax:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// urlAfter returns the whitespace-delimited word after marker in line.
func urlAfter(line, marker string) (string, bool) {
	_, rest, ok := strings.Cut(line, marker)
	if !ok {
		return "", false
	}
	word, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return word, strings.HasPrefix(word, "http://")
}

// mosaicAnnouncement parses cmd/bff's banner: the public URL and the admin
// listener's /metrics URL.
func mosaicAnnouncement(c *child) func(string) bool {
	return func(line string) bool {
		if u, ok := urlAfter(line, "mosaic is serving on "); ok {
			c.base = u
		}
		if u, ok := urlAfter(line, "admin: "); ok {
			c.metrics = u
			c.admin = strings.TrimSuffix(u, "/metrics")
		}
		return c.base != "" && c.admin != ""
	}
}

// serveAnnouncement parses bench-serve's line; its /metrics shares the listener.
func serveAnnouncement(c *child) func(string) bool {
	return func(line string) bool {
		if !strings.HasPrefix(line, servePrefix) {
			return false
		}
		u, ok := urlAfter(line, servePrefix)
		if ok {
			c.base, c.metrics = u, u+"/metrics"
		}
		return ok
	}
}

// startChild runs path with args, waits until it announced its addresses
// (parse) and until ready answers 200 (unless readyPath returns "").
func startChild(ctx context.Context, client *http.Client, impl, path string, args []string, parse func(*child) func(string) bool, readyPath func(*child) string) (*child, error) {
	c := &child{impl: impl, stderr: &tailBuffer{}, done: make(chan struct{})}
	ann := &announcement{ready: make(chan struct{}), parse: parse(c)}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout = ann
	cmd.Stderr = c.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", impl, err)
	}
	c.cmd = cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	fail := func(err error) (*child, error) {
		c.stop()
		return nil, fmt.Errorf("%s did not start: %w\n%s", impl, err, indent(c.stderr.String()))
	}
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case <-ann.ready:
	case <-c.done:
		return fail(fmt.Errorf("exited: %v", c.waitErr))
	case <-timeout.C:
		return fail(errors.New("no address announced within 30s"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	url := readyPath(c)
	if url == "" {
		return c, nil // no HTTP readiness (mocksvc): the announcement is all
	}
	for {
		if resp, err := client.Get(url); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		select {
		case <-c.done:
			return fail(fmt.Errorf("exited: %v", c.waitErr))
		case <-timeout.C:
			return fail(fmt.Errorf("%s not ready within 30s", url))
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "  (no stderr)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// exited reports whether the child is gone (it should not be until stop).
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop asks the child to shut down (SIGTERM), killing it after 10s, and
// returns an error if it had died on its own or exited with an error.
func (c *child) stop() error {
	if c.exited() {
		return fmt.Errorf("%s exited during the bench: %v\n%s", c.impl, c.waitErr, indent(c.stderr.String()))
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within 10s of SIGTERM", c.impl)
	}
	if c.waitErr != nil {
		return fmt.Errorf("%s: %v\n%s", c.impl, c.waitErr, indent(c.stderr.String()))
	}
	return nil
}

// procStats are a process's cumulative CPU time and heap allocations, as
// its Prometheus process and Go collectors report them.
type procStats struct {
	cpuSeconds float64
	mallocs    float64
}

const (
	metricCPU     = "process_cpu_seconds_total"
	metricMallocs = "go_memstats_mallocs_total"
)

// parseProcStats reads the two counters from Prometheus text exposition.
func parseProcStats(r io.Reader) (procStats, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return procStats{}, err
	}
	cpu, err := metricValue(fams, metricCPU)
	if err != nil {
		return procStats{}, err
	}
	mallocs, err := metricValue(fams, metricMallocs)
	if err != nil {
		return procStats{}, err
	}
	return procStats{cpuSeconds: cpu, mallocs: mallocs}, nil
}

// metricValue is the value of the unlabelled counter (or gauge, or
// untyped) name.
func metricValue(fams map[string]*dto.MetricFamily, name string) (float64, error) {
	f, ok := fams[name]
	if !ok || len(f.GetMetric()) == 0 {
		return 0, fmt.Errorf("no metric %s", name)
	}
	m := f.GetMetric()[0]
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue(), nil
	case m.Gauge != nil:
		return m.GetGauge().GetValue(), nil
	case m.Untyped != nil:
		return m.GetUntyped().GetValue(), nil
	}
	return 0, fmt.Errorf("metric %s is a %s, not a counter", name, f.GetType())
}

// scrape reads a child's counters from its /metrics.
func (c *child) scrape(ctx context.Context, client *http.Client) (procStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.metrics, nil)
	if err != nil {
		return procStats{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return procStats{}, fmt.Errorf("%s metrics: %w", c.impl, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return procStats{}, fmt.Errorf("%s metrics: status %d", c.impl, resp.StatusCode)
	}
	s, err := parseProcStats(resp.Body)
	if err != nil {
		return procStats{}, fmt.Errorf("%s metrics: %w", c.impl, err)
	}
	return s, nil
}

// parseVmRSS reads the resident set size from the text of /proc/PID/status.
func parseVmRSS(status string) (int64, error) {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS line %q", strings.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, errors.New("no VmRSS line")
}

// readRSS is a process's resident set size in bytes (Linux only).
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(string(b))
}

// rssSampler tracks the largest resident set of each implementation.
type rssSampler struct {
	mu      sync.Mutex
	watched map[int]string // pid → impl
	max     map[string]int64
}

func newRSSSampler() *rssSampler {
	return &rssSampler{watched: map[int]string{}, max: map[string]int64{}}
}

func (s *rssSampler) watch(impl string, pid int) {
	s.mu.Lock()
	s.watched[pid] = impl
	s.mu.Unlock()
}

func (s *rssSampler) unwatch(pid int) {
	s.mu.Lock()
	delete(s.watched, pid)
	s.mu.Unlock()
}

func (s *rssSampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pid, impl := range s.watched {
		if rss, err := readRSS(pid); err == nil && rss > s.max[impl] {
			s.max[impl] = rss
		}
	}
}

// run samples every interval until ctx is done.
func (s *rssSampler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sample()
		}
	}
}

func (s *rssSampler) maxRSS(impl string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max[impl]
}
