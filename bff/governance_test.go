package bff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"mosaic/bff/apitest"
	"mosaic/bff/request"
	"mosaic/clients/conn"
)

// The stat breaker opens after sustained failures, then fails fast without
// calling stat, then lets a probe through once open time has passed and
// closes again when the healed service answers.
func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	flaky := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == mStats && failing.Load() {
			return nil, status.Error(codes.Internal, "stat is broken")
		}
		return h(ctx, req)
	}
	const open = time.Second
	srv := apitest.Start(t, apitest.Options{
		Interceptors: []grpc.UnaryServerInterceptor{flaky},
		Breaker:      conn.BreakerSettings{ConsecutiveFailures: 3, Open: open, Probes: 1},
	})
	feed := func() (string, int) {
		t.Helper()
		srv.Recorder.Reset()
		got := observe(t, srv.Get(t, "/web/v1/feed?ps=20", "X-User-Id", "42"))
		if got.status != http.StatusOK {
			t.Fatalf("feed status %d", got.status)
		}
		return strings.Join(got.degraded, ","), srv.Recorder.Count(mStats)
	}

	for i := range 3 {
		if d, calls := feed(); d != "stats:error" || calls != 1 {
			t.Fatalf("failure %d: degraded %q after %d stat calls, want stats:error after 1", i+1, d, calls)
		}
	}
	// Open: stat is not called at all, the section says why.
	for range 3 {
		if d, calls := feed(); d != "stats:circuit_open" || calls != 0 {
			t.Fatalf("open: degraded %q after %d stat calls, want stats:circuit_open after 0", d, calls)
		}
	}
	failing.Store(false)
	time.Sleep(open + 50*time.Millisecond)
	// Half-open: one probe reaches the healed service and closes the circuit.
	if d, calls := feed(); d != "" || calls != 1 {
		t.Fatalf("probe: degraded %q after %d stat calls, want complete after 1", d, calls)
	}
	for range 3 {
		if d, calls := feed(); d != "" || calls != 1 {
			t.Fatalf("closed again: degraded %q after %d stat calls", d, calls)
		}
	}
}

// Idempotent reads are retried on UNAVAILABLE, within the deadline.
func TestUnavailableIsRetried(t *testing.T) {
	var attempts atomic.Int32
	onceDown := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == mArchives && attempts.Add(1) == 1 {
			return nil, status.Error(codes.Unavailable, "restarting")
		}
		return h(ctx, req)
	}
	srv := apitest.Start(t, apitest.Options{Interceptors: []grpc.UnaryServerInterceptor{onceDown}})
	got := observe(t, srv.Get(t, "/web/v1/feed", "X-User-Id", "42"))
	if got.status != http.StatusOK || len(got.degraded) != 0 || attempts.Load() != 2 {
		t.Fatalf("got %+v after %d archive attempts; want a complete page after 2", got, attempts.Load())
	}
}

// Past the bound on in-flight scene requests, a request is shed at once
// with 503, Retry-After and a problem body.
func TestLoadSheddingPastMaxInflight(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{MaxInflight: 2, Latency: 100 * time.Millisecond})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		results []apitest.Response
	)
	for range 8 {
		wg.Go(func() {
			r := srv.Get(t, "/mini/v1/feed")
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		})
	}
	wg.Wait()
	var ok, shed int
	for _, r := range results {
		switch r.Status {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			shed++
			if r.Header.Get("Retry-After") == "" || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("shed response without Retry-After or problem body: %v", r.Header)
			}
		default:
			t.Errorf("status %d", r.Status)
		}
	}
	if ok < 2 || shed == 0 {
		t.Errorf("%d served, %d shed; want at least 2 served and some shed", ok, shed)
	}
}

// X-User-Id from a peer outside the trusted proxies is ignored: the request
// is anonymous (no relation call, no following flags).
func TestSpoofedUserIDIsIgnored(t *testing.T) {
	untrusted := apitest.Start(t, apitest.Options{Trust: request.Trust{}})
	body := string(untrusted.Get(t, "/web/v1/feed", "X-User-Id", "42").Body)
	if n := untrusted.Recorder.Count(mRelations); n != 0 || strings.Contains(body, `"following"`) {
		t.Errorf("untrusted X-User-Id was honored: %d relation calls", n)
	}
	trusted := apitest.Start(t, apitest.Options{})
	trusted.Get(t, "/web/v1/feed", "X-User-Id", "42")
	if trusted.Recorder.Count(mRelations) != 1 {
		t.Errorf("trusted X-User-Id was not honored")
	}
}

// Outside mock mode X-Mock-Scenario is not validated, not obeyed and never
// forwarded: the downstreams see no scenario metadata.
func TestMockScenarioIgnoredOutsideMockMode(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{RealMode: true})
	for _, scenario := range []string{"archive=unavailable,feed=error:INTERNAL", "not a scenario"} {
		srv.Recorder.Reset()
		got := observe(t, srv.Get(t, "/web/v1/feed", "X-User-Id", "42", "X-Mock-Scenario", scenario))
		if got.status != http.StatusOK || len(got.degraded) != 0 {
			t.Errorf("%q: got %+v, want a complete page", scenario, got)
		}
		for _, c := range srv.Recorder.Calls() {
			if v := c.Metadata.Get(conn.ScenarioKey); len(v) > 0 {
				t.Errorf("%q was forwarded to %s as %v", scenario, c.Method, v)
			}
		}
	}
	// In mock mode, the same header is validated and obeyed.
	mock := apitest.Start(t, apitest.Options{})
	if got := observe(t, mock.Get(t, "/web/v1/feed", "X-Mock-Scenario", "not a scenario")); got.status != http.StatusBadRequest {
		t.Errorf("mock mode accepted a malformed scenario: %+v", got)
	}
	if got := observe(t, mock.Get(t, "/web/v1/feed", "X-Mock-Scenario", "archive=unavailable")); got.status != http.StatusServiceUnavailable {
		t.Errorf("mock mode ignored the scenario: %+v", got)
	}
}

// Every scene response says what each downstream call took.
func TestServerTimingHasOneEntryPerCall(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	resp := srv.Get(t, "/web/v1/feed", "X-User-Id", "42")
	entries := strings.Split(resp.Header.Get("Server-Timing"), ", ")
	if len(entries) != 5 {
		t.Fatalf("Server-Timing %q: want 5 entries", resp.Header.Get("Server-Timing"))
	}
	for _, want := range []string{"feed.Recommend;dur=", "archive.BatchGetArchives;dur=", "stat.BatchGetStats;dur=", "account.BatchGetProfiles;dur=", "relation.BatchGetRelations;dur="} {
		if !strings.Contains(resp.Header.Get("Server-Timing"), want) {
			t.Errorf("Server-Timing lacks %s: %q", want, resp.Header.Get("Server-Timing"))
		}
	}
}

// A bounded load (fixed request count, loopback) with faults on optional
// services gets only 200s; with a critical service down, only 503/504
// problems. goleak (TestMain) checks nothing is left running.
func TestBoundedLoadUnderFaults(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{Latency: 2 * time.Millisecond})
	aid, mid := evenVideo(t, srv), busyUser(t, srv)
	paths := []string{"/app/v1/feed", "/pad/v1/feed", fmt.Sprintf("/web/v1/videos/%d", aid), fmt.Sprintf("/mini/v1/users/%d", mid)}
	load := func(scenario string, accept func(int) bool) {
		t.Helper()
		const requests, workers = 400, 16
		var (
			next   atomic.Int32
			wg     sync.WaitGroup
			badMu  sync.Mutex
			counts = map[int]int{}
		)
		for range workers {
			wg.Go(func() {
				for i := next.Add(1); i <= requests; i = next.Add(1) {
					resp := srv.Get(t, paths[int(i)%len(paths)], "X-User-Id", "42", "X-Mock-Scenario", scenario)
					badMu.Lock()
					counts[resp.Status]++
					badMu.Unlock()
					if resp.Status != http.StatusOK {
						var p map[string]any
						if json.Unmarshal(resp.Body, &p) != nil || resp.Header.Get("Content-Type") != "application/problem+json" {
							t.Errorf("%d without a problem body", resp.Status)
						}
					}
				}
			})
		}
		wg.Wait()
		for code, n := range counts {
			if !accept(code) {
				t.Errorf("%q: %d responses with status %d (all: %v)", scenario, n, code, counts)
			}
		}
	}
	load("stat=unavailable,reply=error:INTERNAL,relation=timeout,account=delay:20ms", func(c int) bool { return c == 200 })
	load("archive=unavailable,account=unavailable", func(c int) bool { return c == 503 || c == 504 })
}

// An oversized request URI is refused before any parsing, as a problem.
func TestOversizedURIIsRefused(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	resp := srv.Get(t, "/web/v1/feed?junk="+strings.Repeat("x", 3000))
	if resp.Status != http.StatusRequestURITooLong || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("status %d, %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	if resp := srv.Get(t, "/web/v1/feed", "X-Request-Id", "trace-1"); resp.Header.Get("X-Request-Id") != "trace-1" {
		t.Errorf("X-Request-Id not echoed: %q", resp.Header.Get("X-Request-Id"))
	}
}

// A slow first step that uses up the scene's budget makes the next step
// time out, but that is not the next service's fault: its circuit must stay
// closed and the other screens keep working.
func TestSceneDeadlineDoesNotOpenAHealthyServicesCircuit(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	for range 6 {
		got := observe(t, srv.Get(t, "/web/v1/feed", "X-Mock-Scenario", "feed=delay:450ms,archive=delay:400ms"))
		if got.status != http.StatusGatewayTimeout {
			t.Fatalf("slow chain: %+v, want 504", got)
		}
	}
	for _, path := range []string{"/web/v1/feed", "/web/v1/videos/8"} {
		if got := observe(t, srv.Get(t, path)); got.status != http.StatusOK {
			t.Errorf("%s after the slow chain: %+v, want 200 (archive is healthy)", path, got)
		}
	}
}
