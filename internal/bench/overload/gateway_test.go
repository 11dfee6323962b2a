package overload

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mosaic/internal/tooltest"
)

// nginxForTest is Debian's nginx: skipped without it, except in CI.
func nginxForTest(t *testing.T) string {
	t.Helper()
	path, err := FindNginx("")
	if err == nil {
		return path
	}
	tooltest.Missing(t, "%v: apt-get install nginx", err)
	return ""
}

// The gateway passes the BFF no more than its cap and answers the excess
// itself, with the 503 the tally counts as shed; a slot freed is used again.
func TestGatewayAnswersTheExcessItself(t *testing.T) {
	nginx := nginxForTest(t)
	var seen atomic.Int32
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) == 1 {
			select { // a failed test's Close must not wait on it
			case <-release:
			case <-r.Context().Done():
			}
		}
		io.WriteString(w, "{}")
	}))
	defer upstream.Close()
	free := sync.OnceFunc(func() { close(release) })
	defer free() // before Close, which waits for the held handler
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	gw, err := startGateway(context.Background(), client, nginx, t.TempDir(), upstream.URL, 1, pinning{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := gw.Stop(); err != nil {
			t.Error(err)
		}
	}()
	get := func() (*http.Response, []byte) {
		resp, err := client.Get(gw.Base + "/web/v1/feed")
		if err != nil {
			t.Error(err)
			return nil, nil
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}

	held := make(chan int, 1)
	go func() {
		resp, _ := get()
		if resp != nil {
			held <- resp.StatusCode
		}
		close(held)
	}()
	for deadline := time.Now().Add(10 * time.Second); seen.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the upstream")
		}
	}

	resp, body := get()
	if resp == nil {
		t.FailNow()
	}
	if got, _ := classify(resp.StatusCode, resp.Header, body, ""); got != outcomeShed {
		t.Errorf("over the cap: %d %s (Retry-After %q), want the shed 503", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("shed Content-Type %q", ct)
	}
	if n := seen.Load(); n != 1 {
		t.Errorf("the BFF saw %d requests while the cap of 1 was taken, want 1", n)
	}

	free()
	if code := <-held; code != http.StatusOK {
		t.Errorf("the held request: %d, want 200", code)
	}
	if resp, _ := get(); resp == nil || resp.StatusCode != http.StatusOK {
		t.Errorf("after the slot was freed: %v, want 200", resp)
	}
}

// The bench's gateway refuses as the shipped one does: the same @shed
// answer, the same cap on each replica.
func TestGatewayConfigMatchesTheShippedTemplate(t *testing.T) {
	shipped, err := os.ReadFile("../../../deploy/gateway/mosaic.conf.template")
	if err != nil {
		t.Fatal(err)
	}
	shed := regexp.MustCompile(`(?s)location @shed \{(.*?)\n\s*\}`)
	block := func(conf string) string {
		m := shed.FindStringSubmatch(conf)
		if m == nil {
			return ""
		}
		return strings.Join(strings.Fields(m[1]), " ")
	}
	ours := renderGateway("/tmp/x", "127.0.0.1:1", "127.0.0.1:2", 64)
	if b := block(ours); b == "" || b != block(string(shipped)) {
		t.Errorf("@shed differs:\nbench:   %s\nshipped: %s", b, block(string(shipped)))
	}
	for name, conf := range map[string]string{"bench": ours, "shipped": string(shipped)} {
		if !strings.Contains(conf, "max_conns=") || !strings.Contains(conf, "error_page 502 = @shed;") {
			t.Errorf("the %s gateway lacks max_conns or error_page 502 = @shed", name)
		}
	}
}
