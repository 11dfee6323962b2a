package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

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

// RSSSampler tracks the largest resident set of each named process.
type RSSSampler struct {
	mu      sync.Mutex
	watched map[int]string // pid → name
	max     map[string]int64
}

// NewRSSSampler watches nothing yet.
func NewRSSSampler() *RSSSampler {
	return &RSSSampler{watched: map[int]string{}, max: map[string]int64{}}
}

// Watch samples pid under name from now on.
func (s *RSSSampler) Watch(name string, pid int) {
	s.mu.Lock()
	s.watched[pid] = name
	s.mu.Unlock()
}

// Unwatch stops sampling pid; its largest size is kept.
func (s *RSSSampler) Unwatch(pid int) {
	s.mu.Lock()
	delete(s.watched, pid)
	s.mu.Unlock()
}

func (s *RSSSampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pid, name := range s.watched {
		if rss, err := readRSS(pid); err == nil && rss > s.max[name] {
			s.max[name] = rss
		}
	}
}

// Run samples every interval until ctx is done.
func (s *RSSSampler) Run(ctx context.Context, every time.Duration) { Every(ctx, every, s.sample) }

// Every calls do once an interval, the first after one interval, until ctx
// is done.
func Every(ctx context.Context, every time.Duration, do func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			do()
		}
	}
}

// Max is the largest resident set seen under name, in bytes.
func (s *RSSSampler) Max(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max[name]
}
