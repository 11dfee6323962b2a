package httpx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestConnMetricsCountConnectionsNotRequests: three requests on a kept-alive
// connection are one connection; three with keep-alive off are three more;
// once they are closed none is open.
func TestConnMetricsCountConnectionsNotRequests(t *testing.T) {
	m := NewConnMetrics(prometheus.NewRegistry())
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = m.ConnState
	srv.Start()
	defer srv.Close()

	send := func(c *http.Client, n int) {
		t.Helper()
		for range n {
			resp, err := c.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	kept := &http.Client{Transport: &http.Transport{}}
	send(kept, 3)
	if got := testutil.ToFloat64(m.opened); got != 1 {
		t.Errorf("3 requests on one kept-alive connection counted %v connections, want 1", got)
	}
	if got := testutil.ToFloat64(m.open); got != 1 {
		t.Errorf("%v open, want the kept-alive one", got)
	}
	send(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, 3)
	if got := testutil.ToFloat64(m.opened); got != 4 {
		t.Errorf("then 3 with keep-alive off: %v connections in all, want 4", got)
	}
	kept.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(m.open) != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // the server sees a close a moment after the client
	}
	if got := testutil.ToFloat64(m.open); got != 0 {
		t.Errorf("%v open after every client closed, want 0", got)
	}
}
