package child

import (
	"bytes"
	"strings"
	"sync"
)

// Announcement reads a child's stdout line by line until parse says the
// child announced everything, then discards the rest.
type Announcement struct {
	mu    sync.Mutex
	buf   []byte
	found bool
	ready chan struct{}
	parse func(line string) bool
}

// NewAnnouncement waits for the line on which parse returns true.
func NewAnnouncement(parse func(line string) bool) *Announcement {
	return &Announcement{ready: make(chan struct{}), parse: parse}
}

// Ready is closed once parse has returned true.
func (a *Announcement) Ready() <-chan struct{} { return a.ready }

func (a *Announcement) Write(p []byte) (int, error) {
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

// URLAfter returns the whitespace-delimited word after marker in line, and
// whether it is an http:// URL.
func URLAfter(line, marker string) (string, bool) {
	_, rest, ok := strings.Cut(line, marker)
	if !ok {
		return "", false
	}
	word, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return word, strings.HasPrefix(word, "http://")
}

// MosaicBanner parses cmd/bff's banner: the public URL and the admin
// listener's /metrics URL.
func MosaicBanner(c *Child) func(string) bool {
	return func(line string) bool {
		if u, ok := URLAfter(line, "mosaic is serving on "); ok {
			c.Base = u
		}
		if u, ok := URLAfter(line, "admin: "); ok {
			c.Metrics = u
			c.Admin = strings.TrimSuffix(u, "/metrics")
		}
		return c.Base != "" && c.Admin != ""
	}
}

// MosaicReady is cmd/bff's readiness URL, on its admin listener.
func MosaicReady(c *Child) string { return c.Admin + "/readyz" }

// TailBuffer keeps the last bytes a child wrote to stderr, to show when it fails.
type TailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 8 << 10

func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = t.buf[len(t.buf)-tailMax:]
	}
	return len(p), nil
}

func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
