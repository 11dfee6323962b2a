package load

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mosaic/clients"
	"mosaic/internal/leaktest"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	p50, p99, p999 := Percentiles(lat)
	if p50 != 50*time.Millisecond || p99 != 99*time.Millisecond || p999 != 100*time.Millisecond {
		t.Errorf("1..100ms: p50 %v p99 %v p99.9 %v, want 50ms 99ms 100ms", p50, p99, p999)
	}
	if lat[0] != 100*time.Millisecond {
		t.Error("percentiles sorted its input in place")
	}
	for _, tc := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{[]time.Duration{7}, 50, 7},
		{[]time.Duration{7}, 99.9, 7},
		{[]time.Duration{1, 2}, 50, 1},
		{[]time.Duration{1, 2}, 51, 2},
		{[]time.Duration{1, 2, 3, 4}, 100, 4},
		{[]time.Duration{1, 2, 3, 4}, 0.1, 1},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.sorted, tc.p, got, tc.want)
		}
	}
	// 2000 samples: p99.9 is the 1998th, not the maximum.
	lat = lat[:0]
	for i := 1; i <= 2000; i++ {
		lat = append(lat, time.Duration(i))
	}
	if _, _, p999 := Percentiles(lat); p999 != 1998 {
		t.Errorf("p99.9 of 1..2000 = %d, want 1998", p999)
	}
}

func TestOpenLoopSchedule(t *testing.T) {
	if n := scheduleCount(500, 3*time.Second); n != 1500 {
		t.Errorf("500/s for 3s: %d requests", n)
	}
	if n := scheduleCount(0.1, time.Second); n != 1 {
		t.Errorf("a tiny rate still sends one request, got %d", n)
	}
	if n := scheduleCount(33.3, 3*time.Second); n != 99 {
		t.Errorf("33.3/s for 3s: %d requests, want 99", n)
	}
	for _, tc := range []struct {
		i    int
		rate float64
		want time.Duration
	}{
		{0, 100, 0},
		{1, 100, 10 * time.Millisecond},
		{500, 500, time.Second},
		{1, 3, 333333333},
		{1499, 500, 2998 * time.Millisecond},
	} {
		if got := scheduledAt(tc.i, tc.rate); got != tc.want {
			t.Errorf("scheduledAt(%d, %v) = %v, want %v", tc.i, tc.rate, got, tc.want)
		}
	}
	// Evenly spaced and strictly inside the phase.
	rate, dur := 700.0, 2*time.Second
	n := scheduleCount(rate, dur)
	prev := time.Duration(-1)
	for i := range n {
		at := scheduledAt(i, rate)
		if at <= prev || at >= dur {
			t.Fatalf("request %d at %v after %v (phase %v)", i, at, prev, dur)
		}
		prev = at
	}
}

// slowServer answers 200 after d, counting requests; a path ending in
// /fail answers 503.
func slowServer(t *testing.T, d time.Duration) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(d)
		if strings.HasSuffix(r.URL.Path, "/fail") {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestLoadGenerators(t *testing.T) {
	srv, n := slowServer(t, 5*time.Millisecond)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.Transport.(*http.Transport).CloseIdleConnections()
	ctx := t.Context()

	open := OpenLoop(ctx, client, Target{URL: srv.URL + "/x", Header: http.Header{}}, 200, 250*time.Millisecond)
	if open.OK != 50 || open.Errors != 0 || n.Load() != 50 {
		t.Errorf("open loop at 200/s for 250ms: %d ok, %d errors, %d served; want 50", open.OK, open.Errors, n.Load())
	}
	if p50, _, _ := Percentiles(open.Latencies); p50 < 5*time.Millisecond || p50 > 200*time.Millisecond {
		t.Errorf("open loop p50 %v against a 5ms server", p50)
	}
	if open.Elapsed < 245*time.Millisecond {
		t.Errorf("open loop finished in %v, before its last request was due", open.Elapsed)
	}

	closed := ClosedLoop(ctx, client, Target{URL: srv.URL + "/x", Header: http.Header{}}, 4, 100*time.Millisecond)
	// 4 workers, 5ms each, 100ms: about 80, never more.
	if closed.OK < 4 || closed.OK > 84 || closed.Errors != 0 || closed.RPS() <= 0 {
		t.Errorf("closed loop: %d ok, %d errors, %.0f req/s", closed.OK, closed.Errors, closed.RPS())
	}

	seq := Sequential(ctx, client, Target{URL: srv.URL + "/x", Header: http.Header{}}, 3, 20*time.Millisecond)
	if seq.OK < 3 || seq.Errors != 0 || seq.Elapsed < 15*time.Millisecond {
		t.Errorf("sequential: %d ok, %d errors in %v", seq.OK, seq.Errors, seq.Elapsed)
	}

	failed := ClosedLoop(ctx, client, Target{URL: srv.URL + "/fail", Header: http.Header{}}, 2, 20*time.Millisecond)
	if failed.OK != 0 || failed.Errors == 0 || !strings.Contains(failed.FirstErr, "503") {
		t.Errorf("failing target: %d ok, %d errors, first %q", failed.OK, failed.Errors, failed.FirstErr)
	}
}

func TestHopLatencyIncludesTheMockLatency(t *testing.T) {
	ds := dataset.Shared(1)
	cluster, err := cluster.Start(t.Context(), ds, fakes.Options{Latency: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	p50, err := HopLatency(t.Context(), cluster.Addr(clients.Stat), ds.VisibleAids()[:20], 5)
	if err != nil || p50 < 5*time.Millisecond {
		t.Fatalf("hop p50 %v, %v; want at least the 5ms mock latency", p50, err)
	}
}

// TestStreamSendsEachRequestOnce: a Stream under a closed loop of several
// workers hands out at(0), at(1)... each to exactly one send, and the open
// loop sends them in order.
func TestStreamSendsEachRequestOnce(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path+" "+r.Header.Get("X-User-Id")]++
		mu.Unlock()
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.Transport.(*http.Transport).CloseIdleConnections()
	at := func(i uint64) Target {
		return Target{URL: fmt.Sprintf("%s/r/%d", srv.URL, i), Header: http.Header{"X-User-Id": {strconv.FormatUint(i*7, 10)}}}
	}
	closed := ClosedLoop(t.Context(), client, NewStream(at), 4, 60*time.Millisecond)
	if closed.OK == 0 || closed.Errors != 0 || len(seen) != closed.OK {
		t.Fatalf("closed loop: %d ok, %d errors, %d distinct requests", closed.OK, closed.Errors, len(seen))
	}
	for i := range closed.OK {
		if k := fmt.Sprintf("/r/%d %d", i, i*7); seen[k] != 1 {
			t.Errorf("%s sent %d times", k, seen[k])
		}
	}
	clear(seen)
	open := OpenLoop(t.Context(), client, NewStream(at), 200, 50*time.Millisecond)
	if open.OK != 10 || seen["/r/9 63"] != 1 || seen["/r/10 70"] != 0 {
		t.Errorf("open loop of 10: %d ok, saw %v", open.OK, seen)
	}
}

func TestDegraded(t *testing.T) {
	body := []byte(`{"page":1,"ps":2,"cards":[{"title":"a"}],"degraded":[{"section":"owners","reason":"timeout"},{"section":"stats","reason":"circuit_open"}]}`)
	if got, want := Degraded(body), []string{"owners timeout", "stats circuit_open"}; !slices.Equal(got, want) {
		t.Errorf("Degraded = %q, want %q", got, want)
	}
	for _, b := range []string{`{"cards":[]}`, `{"title":"\"degraded\": in a title"}`} {
		if got := Degraded([]byte(b)); len(got) != 0 {
			t.Errorf("Degraded(%s) = %q, want none", b, got)
		}
	}
	if got := Degraded([]byte(`{"cards":[], "degraded":`)); len(got) != 1 || !strings.HasPrefix(got[0], "unreadable body: ") {
		t.Errorf("Degraded of a cut body = %q, want it unreadable", got)
	}
}

// TestDegradedAnswerIsNotAScreenServed: a 200 listing a degraded section
// is a failed request, naming the section; a complete one is not.
func TestDegradedAnswerIsNotAScreenServed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/degraded" {
			io.WriteString(w, `{"cards":[{"title":"x"}],"degraded":[{"section":"stats","reason":"timeout"}]}`)
			return
		}
		io.WriteString(w, `{"cards":[{"title":"degraded"}]}`)
	}))
	defer srv.Close()
	client := srv.Client()
	if _, err := Do(t.Context(), client, Target{URL: srv.URL + "/degraded"}); err == nil || !strings.Contains(err.Error(), "degraded: stats timeout") {
		t.Errorf("degraded answer: error %v, want one naming the section", err)
	}
	if n, err := Do(t.Context(), client, Target{URL: srv.URL + "/whole"}); err != nil || n != 32 {
		t.Errorf("complete answer: %d bytes, %v", n, err)
	}
}
