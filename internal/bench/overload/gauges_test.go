package overload

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"mosaic/internal/bench/child"
)

func TestGaugeStats(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want GaugeStats
		text string
	}{
		{nil, GaugeStats{}, "-"},
		{[]float64{7}, GaugeStats{1, 7, 7, 7}, "7/7/7"},
		{[]float64{90, 16, 300, 40}, GaugeStats{4, 16, 90, 300}, "16/90/300"},
		{[]float64{5, 3, 4}, GaugeStats{3, 3, 4, 5}, "3/4/5"},
	} {
		if got := gaugeStats(c.in); got != c.want || got.String() != c.text {
			t.Errorf("gaugeStats(%v) = %+v %q, want %+v %q", c.in, got, got.String(), c.want, c.text)
		}
	}
}

// The sampler reads the limit and the requests in flight from the BFF's
// /metrics until stopped, and stops scraping when told.
func TestSampleGauges(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := n.Add(1)
		fmt.Fprintf(w, "# TYPE bff_admission_limit gauge\nbff_admission_limit %d\n# TYPE bff_http_requests_in_flight gauge\nbff_http_requests_in_flight %d\n", 100+i, i)
	}))
	defer srv.Close()
	// The scrapes are counted as the client sends them: one on the wire
	// when stop cancelled it may reach the server's handler any time after.
	sent := &countingTransport{next: srv.Client().Transport}
	r := &rig{client: &http.Client{Transport: sent}, bff: &child.Child{Name: "bff", Metrics: srv.URL}}
	stop := r.sampleGauges(t.Context(), time.Millisecond)
	for n.Load() < 5 {
		time.Sleep(time.Millisecond)
	}
	limit, inFlight := stop()
	if limit.Samples < 4 || limit.Samples != inFlight.Samples || limit.Min != 101 || inFlight.Min != 1 || limit.Max != 100+inFlight.Max {
		t.Fatalf("limit %+v, in flight %+v after %d scrapes", limit, inFlight, n.Load())
	}
	// Once stop has returned, no scrape leaves: a sampler still running
	// would scrape every millisecond.
	settled := sent.n.Load()
	time.Sleep(50 * time.Millisecond)
	if sent.n.Load() != settled {
		t.Errorf("%d scrapes sent after stop returned", sent.n.Load()-settled)
	}
}

// countingTransport counts the requests sent through it.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}
