// Package child runs the servers and load generators the bench tools
// measure, each as a process of its own: it starts one, reads the
// addresses it announces on stdout, waits until it is ready, keeps the
// tail of its stderr for the error that says why it failed, scrapes its
// /metrics, and stops it.
package child

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Child is one process under test.
type Child struct {
	Name    string // in errors: mosaic, floor, mocksvc...
	Cmd     *exec.Cmd
	Base    string // public base URL, e.g. http://127.0.0.1:1234 (mocksvc: host:port)
	Metrics string // URL of its Prometheus /metrics
	Admin   string // mosaic's admin base URL; "" for the others

	stderr  *TailBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// Spec says how to run a child and how to tell that it is up.
type Spec struct {
	Name string
	Path string
	Args []string
	// Banner returns the parser of the child's stdout lines, which fills
	// the child's addresses and says when it has them all. nil for a
	// child that announces nothing (nginx): its Base is given.
	Banner func(*Child) func(line string) bool
	Base   string // the public base URL of a child without a Banner
	// Ready is the URL that answers 200 once the child serves; nil, or
	// "", when the announcement is all there is (mocksvc).
	Ready func(*Child) string
}

// startTimeout bounds both the announcement and the readiness.
const startTimeout = 30 * time.Second

// Command is path with args, stopped with SIGTERM when ctx ends (killed
// 10s later) and, on Linux, when the bench dies without stopping it.
func Command(ctx context.Context, path string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	setDeathSignal(cmd)
	return cmd
}

// Start runs the child, waits until it announced its addresses and until
// its Ready URL answers 200.
func Start(ctx context.Context, client *http.Client, s Spec) (*Child, error) {
	c := &Child{Name: s.Name, Base: s.Base, stderr: &TailBuffer{}, done: make(chan struct{})}
	var ann *Announcement
	cmd := Command(ctx, s.Path, s.Args)
	cmd.Stdout, cmd.Stderr = io.Discard, c.stderr
	if s.Banner != nil {
		ann = NewAnnouncement(s.Banner(c))
		cmd.Stdout = ann
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	c.Cmd = cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	var err error
	if ann != nil {
		err = await(ctx, c, ann.Ready(), timeout.C, errors.New("no address announced within 30s"))
	}
	if err == nil && s.Ready != nil && s.Ready(c) != "" {
		err = c.awaitReady(ctx, client, s.Ready(c), timeout.C)
	}
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("%s did not start: %w\n%s", s.Name, err, Indent(c.stderr.String()))
	}
	return c, nil
}

// await waits for ready, failing with late when timeout fires first, or
// when the child exits or ctx ends.
func await[T any](ctx context.Context, c *Child, ready <-chan T, timeout <-chan time.Time, late error) error {
	select {
	case <-ready:
		return nil
	case <-c.done:
		return fmt.Errorf("exited: %v", c.waitErr)
	case <-timeout:
		return late
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitReady polls url every 50ms until it answers 200.
func (c *Child) awaitReady(ctx context.Context, client *http.Client, url string, timeout <-chan time.Time) error {
	for {
		if resp, err := client.Get(url); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := await(ctx, c, time.After(50*time.Millisecond), timeout, fmt.Errorf("%s not ready within 30s", url)); err != nil {
			return err
		}
	}
}

// Indent indents s by two spaces, for a child's stderr under an error.
func Indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "  (no stderr)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// Exited reports whether the child is gone (it should not be until Stop).
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Stop asks the child to shut down (SIGTERM), killing it after 10s, and
// returns an error if it had died on its own or exited with an error.
func (c *Child) Stop() error {
	if c.Exited() {
		return fmt.Errorf("%s exited during the bench: %v\n%s", c.Name, c.waitErr, Indent(c.stderr.String()))
	}
	c.Cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.Cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within 10s of SIGTERM", c.Name)
	}
	if c.waitErr != nil {
		return fmt.Errorf("%s: %v\n%s", c.Name, c.waitErr, Indent(c.stderr.String()))
	}
	return nil
}

// Scrape reads c's /metrics (Prometheus text) with parse.
func Scrape[T any](ctx context.Context, client *http.Client, c *Child, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Metrics, nil)
	if err != nil {
		return zero, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return zero, fmt.Errorf("%s metrics: %w", c.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return zero, fmt.Errorf("%s metrics: status %d", c.Name, resp.StatusCode)
	}
	v, err := parse(resp.Body)
	if err != nil {
		return zero, fmt.Errorf("%s metrics: %w", c.Name, err)
	}
	return v, nil
}
