package child

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

func TestMosaicBanner(t *testing.T) {
	c := &Child{}
	ann := NewAnnouncement(MosaicBanner(c))
	// The banner of cmd/bff, written in pieces as a pipe would.
	banner := "mosaic is serving on http://127.0.0.1:41234 with real downstreams\n" +
		"  try:   curl -s 'http://127.0.0.1:41234/app/v1/feed' -H 'X-User-Id: 42'\n" +
		"  spec:  http://127.0.0.1:41234/openapi.yaml\n" +
		"  admin: http://127.0.0.1:41235/metrics /healthz /readyz /debug/pprof/\n" +
		"later output\n"
	for chunk := range slicesOf(banner, 7) {
		ann.Write([]byte(chunk))
	}
	select {
	case <-ann.Ready():
	default:
		t.Fatal("mosaic's banner not recognised")
	}
	if c.Base != "http://127.0.0.1:41234" || c.Admin != "http://127.0.0.1:41235" || c.Metrics != "http://127.0.0.1:41235/metrics" {
		t.Errorf("parsed %q %q %q", c.Base, c.Admin, c.Metrics)
	}
	if MosaicReady(c) != "http://127.0.0.1:41235/readyz" {
		t.Errorf("ready URL %q", MosaicReady(c))
	}
}

// slicesOf cuts s into pieces of n bytes.
func slicesOf(s string, n int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	var b TailBuffer
	b.Write([]byte(strings.Repeat("a", tailMax)))
	b.Write([]byte("the end"))
	if s := b.String(); len(s) != tailMax || !strings.HasSuffix(s, "the end") {
		t.Errorf("%d bytes ending %q", len(s), s[len(s)-10:])
	}
	if Indent("") != "  (no stderr)" || Indent("a\nb\n") != "  a\n  b" {
		t.Errorf("Indent: %q %q", Indent(""), Indent("a\nb\n"))
	}
}

// TestHelperChild is the child of TestStartAndStop, this test binary run
// again: it announces an address and waits for SIGTERM, or with
// CHILD_EXIT=early fails before announcing anything.
func TestHelperChild(t *testing.T) {
	if os.Getenv("CHILD_HELPER") == "" {
		t.Skip("the child process of TestStartAndStop")
	}
	if os.Getenv("CHILD_EXIT") == "early" {
		os.Stderr.WriteString("bad flag\n")
		os.Exit(2)
	}
	os.Stdout.WriteString("noise\nserving on http://127.0.0.1:1 now\n")
	time.Sleep(20 * time.Second) // until SIGTERM ends the process
}

func helperSpec(t *testing.T) Spec {
	return Spec{
		Name: "helper", Path: os.Args[0], Args: []string{"-test.run=^TestHelperChild$"},
		Banner: func(c *Child) func(string) bool {
			return func(line string) bool {
				u, ok := URLAfter(line, "serving on ")
				c.Base = u
				return ok
			}
		},
	}
}

func TestStartAndStop(t *testing.T) {
	t.Setenv("CHILD_HELPER", "1")
	c, err := Start(t.Context(), http.DefaultClient, helperSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Base != "http://127.0.0.1:1" || c.Exited() {
		t.Errorf("base %q, exited %v", c.Base, c.Exited())
	}
	// SIGTERM kills the helper, which has no handler: Stop reports it.
	if err := c.Stop(); err == nil || !strings.Contains(err.Error(), "signal: terminated") {
		t.Errorf("stop: %v", err)
	}

	t.Setenv("CHILD_EXIT", "early")
	_, err = Start(t.Context(), http.DefaultClient, helperSpec(t))
	if err == nil || !strings.Contains(err.Error(), "helper did not start: exited: exit status 2") || !strings.Contains(err.Error(), "  bad flag") {
		t.Errorf("a child that exits before it announced: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Start(ctx, http.DefaultClient, Spec{Name: "x", Path: "/nonexistent/binary", Banner: helperSpec(t).Banner}); err == nil {
		t.Error("a missing binary started")
	}
}

// A child that announces nothing (nginx) has the Base it was given and is
// ready when its Ready URL answers 200.
func TestStartWithoutBanner(t *testing.T) {
	t.Setenv("CHILD_HELPER", "1")
	var asked atomic.Int32
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if asked.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer ready.Close()
	s := helperSpec(t)
	s.Banner, s.Base = nil, "http://127.0.0.1:2"
	s.Ready = func(*Child) string { return ready.URL }
	c, err := Start(t.Context(), http.DefaultClient, s)
	if err != nil {
		t.Fatal(err)
	}
	if c.Base != "http://127.0.0.1:2" || asked.Load() != 3 {
		t.Errorf("base %q after %d readiness polls, want the given base after 3", c.Base, asked.Load())
	}
	c.Stop()
}
