package bff_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mosaic/bff/apitest"
)

// A client that hangs up mid-scene is not an outage: whatever step was
// waiting fails because the client went, and counting it as a degraded
// section or a 503 would page an operator for users scrolling away. It is
// recorded as 499 (nginx's "client closed request"), in the metrics and the
// access log, and no degraded section is counted.
func TestAClientHangUpIsNotAnOutage(t *testing.T) {
	for _, scenario := range []string{
		"account=delay:3s", // an optional step waiting (the owners)
		"feed=delay:3s",    // a critical one (the recommendation)
	} {
		srv := apitest.Start(t, apitest.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil).WithContext(ctx)
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set("X-User-Id", "42")
		req.Header.Set("X-Mock-Scenario", scenario)
		time.AfterFunc(100*time.Millisecond, cancel)
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		if rec.Code != 499 {
			t.Errorf("%s: answered %d %.120s to a client that had left, want 499", scenario, rec.Code, rec.Body)
		}
		m := httptest.NewRecorder()
		srv.Admin.ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		var counted bool
		for line := range strings.Lines(m.Body.String()) {
			switch {
			case strings.HasPrefix(line, "bff_degraded_sections_total{"):
				t.Errorf("%s: a hang-up counted as a degraded section: %s", scenario, strings.TrimSpace(line))
			case strings.HasPrefix(line, "bff_http_requests_total{") && strings.HasSuffix(strings.TrimSpace(line), "} 0"):
				// a series that exists from the start: shed requests count in it
			case strings.HasPrefix(line, "bff_http_requests_total{"):
				if !strings.Contains(line, `code="499"`) {
					t.Errorf("%s: a hang-up counted as %s", scenario, strings.TrimSpace(line))
				}
				counted = true
			}
		}
		if !counted {
			t.Errorf("%s: the hang-up was not counted at all", scenario)
		}
	}
}
