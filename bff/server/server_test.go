package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic/bff/request"
	"mosaic/clients"
	"mosaic/clients/conn"
	"mosaic/internal/leaktest"
	"mosaic/internal/telemetry"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

// start builds the handlers over a mock cluster for the life of t.
func start(t *testing.T, cfg Config, ready func() error) Handlers {
	t.Helper()
	cluster, err := cluster.Start(t.Context(), dataset.Shared(1), fakes.Options{Scenarios: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	h, closeConns, err := New(cfg, Deps{
		Targets: MockTargets(cluster),
		Logger:  slog.New(slog.DiscardHandler),
		Tracing: telemetry.Off(),
		Metrics: prometheus.NewRegistry(),
		Ready:   ready,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeConns)
	return h
}

func get(t *testing.T, h http.Handler, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func mockMode() Config {
	c := Defaults()
	c.Mock, c.Trust = true, request.Loopback()
	return c
}

// The public handler serves scenes over the downstreams, and the admin
// handler serves the series they recorded and the readiness it was given.
func TestNewServesPublicAndAdmin(t *testing.T) {
	var ready atomic.Bool
	h := start(t, mockMode(), func() error {
		if !ready.Load() {
			return errors.New("starting")
		}
		return nil
	})
	if rec := get(t, h.Public, "/app/v1/feed", "X-User-Id", "42"); rec.Code != http.StatusOK {
		t.Fatalf("feed: %d %s", rec.Code, rec.Body)
	}
	metrics := get(t, h.Admin, "/metrics").Body.String()
	for _, series := range []string{"bff_http_requests_total", "bff_downstream_calls_total", "bff_admission_limit"} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if rec := get(t, h.Admin, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before ready: %d", rec.Code)
	}
	ready.Store(true)
	if rec := get(t, h.Admin, "/readyz"); rec.Code != http.StatusOK {
		t.Errorf("/readyz when ready: %d", rec.Code)
	}
	if h.Spec == nil || get(t, h.Admin, "/debug/compare?path=/v1/feed").Code != http.StatusOK {
		t.Error("no QA page over the public handler")
	}
}

// Mock mode validates X-Mock-Scenario and carries it to the downstreams;
// otherwise the header is neither read nor forwarded.
func TestMockModeAloneHonorsScenarios(t *testing.T) {
	mock := start(t, mockMode(), func() error { return nil })
	if rec := get(t, mock.Public, "/web/v1/feed", "X-Mock-Scenario", "stat=bogus"); rec.Code != http.StatusBadRequest {
		t.Errorf("mock mode, a bad scenario: %d", rec.Code)
	}
	if rec := get(t, mock.Public, "/web/v1/feed", "X-Mock-Scenario", "stat=unavailable"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"degraded"`) {
		t.Errorf("mock mode, stat unavailable: %d, want a degraded feed: %s", rec.Code, rec.Body)
	}
	realMode := Defaults()
	realMode.Trust = request.Loopback()
	h := start(t, realMode, func() error { return nil })
	for _, sc := range []string{"stat=bogus", "stat=unavailable"} {
		if rec := get(t, h.Public, "/web/v1/feed", "X-Mock-Scenario", sc); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"degraded"`) {
			t.Errorf("real mode, %s: %d %s", sc, rec.Code, rec.Body)
		}
	}
}

func TestAdmissionTargetDefaultsToAnEighthOfTheDeadline(t *testing.T) {
	c := Defaults()
	if got := c.admission(nil).Target; got != 100*time.Millisecond {
		t.Errorf("target %v, want an eighth of %v", got, c.Deadline)
	}
	c.Deadline = 2 * time.Second
	if got := c.admission(nil).Target; got != 250*time.Millisecond {
		t.Errorf("target %v, want an eighth of %v", got, c.Deadline)
	}
	c.Admission.Target = time.Second
	if got := c.admission(nil).Target; got != time.Second {
		t.Errorf("target %v, want the one given", got)
	}
}

func TestNewRefusesMissingDeps(t *testing.T) {
	full := Deps{Logger: slog.New(slog.DiscardHandler), Metrics: prometheus.NewRegistry(), Ready: func() error { return nil }}
	for name, d := range map[string]Deps{
		"logger":  {Metrics: full.Metrics, Ready: full.Ready},
		"metrics": {Logger: full.Logger, Ready: full.Ready},
		"ready":   {Logger: full.Logger, Metrics: full.Metrics},
	} {
		if _, _, err := New(Defaults(), d); err == nil || !strings.Contains(strings.ToLower(err.Error()), name) {
			t.Errorf("without %s: %v", name, err)
		}
	}
}

func TestMockTargetsNameEveryService(t *testing.T) {
	cluster, err := cluster.Start(t.Context(), dataset.Shared(1), fakes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	targets := MockTargets(cluster)
	for _, svc := range clients.Services() {
		if want := "static:///" + cluster.Addr(svc); targets[svc] != want {
			t.Errorf("%s: %q, want %q", svc, targets[svc], want)
		}
	}
	if len(targets) != len(clients.Services()) {
		t.Errorf("%d targets for %d services", len(targets), len(clients.Services()))
	}
}

// Every cache bound that Validate accepts, the clients accept too: the
// server never fails at start on a -cache-mb it let through.
func TestCacheBoundsValidateAgreesWithTheClients(t *testing.T) {
	targets := map[string]string{} // dialled lazily: nothing listens, nothing is called
	for _, svc := range clients.Services() {
		targets[svc] = "static:///127.0.0.1:1"
	}
	for _, mb := range []int{0, 1, 2, 64, maxCacheMB, maxCacheMB + 1} {
		c := Cache{On: true, ArchiveFresh: time.Second, AccountFresh: time.Second, StatFresh: time.Second, MB: mb}
		verr := c.Validate()
		_, closeClients, derr := clients.Dial(targets, conn.Options{}, c.caches(prometheus.NewRegistry()))
		if derr == nil {
			closeClients()
		}
		if verr == nil && derr != nil {
			t.Errorf("-cache-mb %d: Validate accepted it, the clients refused it: %v", mb, derr)
		}
		if want := mb >= 2 && mb <= maxCacheMB; (verr == nil) != want {
			t.Errorf("-cache-mb %d: Validate said %v", mb, verr)
		}
	}
}

// The entries get half of -cache-mb: the other half is the headroom the
// collector needs above live data under the soft memory limit.
func TestCacheEntriesGetHalfTheBound(t *testing.T) {
	c := Cache{On: true, MB: 64, ArchiveFresh: time.Second, AccountFresh: time.Second, StatFresh: time.Second}
	if got := c.caches(prometheus.NewRegistry()).MaxBytes; got != 32<<20 {
		t.Errorf("MaxBytes %d for -cache-mb 64, want %d", got, 32<<20)
	}
	if (Cache{MB: 64}).caches(nil) != nil {
		t.Error("caches off still gave a bound")
	}
}
