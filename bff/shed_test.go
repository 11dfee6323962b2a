package bff_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic"
	"mosaic/bff"
	"mosaic/bff/admission"
	"mosaic/bff/apitest"
	"mosaic/bff/endpoint"
)

// A shed request counts as its scene's 503 in bff_http_requests_total
// (and one whose client left in the queue as its 499), read off its path
// as the router reads it, without allocating: shedding must stay cheap. A
// path no scene route serves counts nowhere.
func TestAShedRequestCountsAsItsScenes503(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := endpoint.NewMetrics(reg)
	bff.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), endpoint.Env{Metrics: m}, mosaic.OpenAPI(), nil, nil)
	for _, tc := range []struct{ path, series string }{
		{"/web/v1/feed", "web/feed"},
		{"/mini/v1/videos/42", "mini/video"},
		{"/app/v1/users/7", "app/user"},
		{"/pad/v1/users/7?ps=3", "pad/user"},
		{"/web/v1/feedx", ""},
		{"/web/v1/videos/", ""},
		{"/web/v1/videos/42/x", ""},
		{"/tv/v1/feed", ""},
		{"/openapi.yaml", ""},
		{"/web/v1/notifications", ""},
		{"/web/v1/fe%65d", ""},    // the router reads the escaped path: a 404
		{"POST /web/v1/feed", ""}, // a 405
		{"HEAD /web/v1/feed", "web/feed"},
	} {
		before := requestsWithCode(t, reg, "503")
		method, path, ok := strings.Cut(tc.path, " ")
		if !ok {
			method, path = http.MethodGet, tc.path
		}
		r := httptest.NewRequest(method, path, nil)
		if n := testing.AllocsPerRun(100, func() { m.Refused(r, http.StatusServiceUnavailable) }); n != 0 {
			t.Errorf("%s: %v allocations per shed request, want 0", tc.path, n)
		}
		if got, want := m.IsScene(r), tc.series != ""; got != want {
			t.Errorf("%s: IsScene %v, want %v", tc.path, got, want)
		}
		after := requestsWithCode(t, reg, "503")
		for series, n := range after {
			want := 0.0
			if series == tc.series {
				want = 101 // AllocsPerRun runs once more, to warm up
			}
			if got := n - before[series]; got != want {
				t.Errorf("%s: %s 503s went up by %v, want %v", tc.path, series, got, want)
			}
		}
		if _, ok := after[tc.series]; tc.series != "" && !ok {
			t.Errorf("%s: no %s series", tc.path, tc.series)
		}
	}
}

// requestsWithCode are the requests of bff_http_requests_total answered
// with code, by "device/scene".
func requestsWithCode(t *testing.T, reg *prometheus.Registry, code string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "bff_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["code"] == code {
				out[l["device"]+"/"+l["scene"]] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// oneSlotHeld starts a server that admits one scene request at a time, a
// request waiting at most queueWait for it, and has a slow feed request
// hold that slot for about 1.5 s; slow gets its status.
func oneSlotHeld(t *testing.T, queueWait time.Duration) (srv *apitest.Server, slow <-chan int) {
	t.Helper()
	srv = apitest.Start(t, apitest.Options{Admission: admission.Config{Min: 1, Max: 1, QueueWait: queueWait}, Deadline: 5 * time.Second, CallTimeout: 3 * time.Second})
	status := make(chan int, 1)
	go func() {
		status <- srv.Get(t, "/web/v1/feed", "X-Mock-Scenario", "account=delay:1500ms").Status
	}()
	// The slow one holds the only slot once it is served (admission comes
	// first): bff_http_requests_in_flight counts it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		m := httptest.NewRecorder()
		srv.Admin.ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if strings.Contains(m.Body.String(), "\nbff_http_requests_in_flight 1\n") {
			return srv, status
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow request is not in flight after 5 s")
		}
	}
}

// Admission limits the scene routes only: while a scene request is shed,
// a path no route serves under a device still gets its 404, and a method
// none serves its 405, not a 503 telling the client to retry.
func TestAdmissionLimitsSceneRoutesOnly(t *testing.T) {
	srv, slow := oneSlotHeld(t, 50*time.Millisecond)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/mini/v1/feed", http.StatusServiceUnavailable},
		{http.MethodGet, "/web/v1/nope", http.StatusNotFound},
		{http.MethodGet, "/web/v1/videos/1/x", http.StatusNotFound},
		{http.MethodPost, "/web/v1/feed", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s while the only slot is held: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
	if code := <-slow; code != http.StatusOK {
		t.Fatalf("the slow request: %d", code)
	}
}

// A client that hangs up while its request waits for an admission slot is
// the 499 of its scene in bff_http_requests_total: it used to be counted
// nowhere, neither there nor in bff_shed_total.
func TestAClientThatLeavesTheQueueIsA499(t *testing.T) {
	srv, slow := oneSlotHeld(t, 5*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/mini/v1/feed", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the queued request was answered %d, want it still queued when its client left", resp.StatusCode)
	}
	if code := <-slow; code != http.StatusOK {
		t.Fatalf("the slow request: %d", code)
	}
	want := `bff_http_requests_total{code="499",device="mini",scene="feed"} 1`
	for range 50 { // the server notices the hang-up on its own time
		m := httptest.NewRecorder()
		srv.Admin.ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if strings.Contains(m.Body.String(), want+"\n") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("metrics lack %q", want)
}

// A scene request the edge refuses (414, 431) is counted where the scene
// routes' answers are, as its scene's 414 or 431; the spec's path is not a
// scene and counts nowhere.
func TestRefusalsAtTheEdgeCountAsTheirScenes(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	long := strings.Repeat("x", 3000)
	srv.Get(t, "/web/v1/feed?junk="+long)
	srv.Get(t, "/app/v1/videos/8", "Cookie", strings.Repeat("x", bff.MaxHeaderBytes))
	srv.Get(t, "/openapi.yaml?junk="+long)
	m := httptest.NewRecorder()
	srv.Admin.ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`bff_http_requests_total{code="414",device="web",scene="feed"} 1`,
		`bff_http_requests_total{code="431",device="app",scene="video"} 1`,
	} {
		if !strings.Contains(m.Body.String(), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if n := strings.Count(m.Body.String(), `bff_http_requests_total{code="414"`); n != 1 {
		t.Errorf("%d series of 414s, want the feed's alone", n)
	}
}

// bff_http_requests_in_flight counts the scene requests being served: one
// while a slow one is, none once it has been answered (a gauge that only
// went up would read as a growing overload on every dashboard).
func TestInFlightCountsWhatIsBeingServed(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{Deadline: 5 * time.Second, CallTimeout: 3 * time.Second})
	inFlight := func(want string) {
		t.Helper()
		line := "\nbff_http_requests_in_flight " + want + "\n"
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			m := httptest.NewRecorder()
			srv.Admin.ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			if strings.Contains(m.Body.String(), line) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("bff_http_requests_in_flight is not %s within 5 s", want)
			}
		}
	}
	srv.Get(t, "/web/v1/feed")
	inFlight("0")
	done := make(chan int, 1)
	go func() { done <- srv.Get(t, "/web/v1/feed", "X-Mock-Scenario", "account=delay:500ms").Status }()
	inFlight("1")
	if code := <-done; code != http.StatusOK {
		t.Fatalf("the slow request: %d", code)
	}
	inFlight("0")
}
