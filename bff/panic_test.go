package bff_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic"
	"mosaic/bff"
	"mosaic/bff/endpoint"
)

// A scene handler that panics is answered by the recoverer with a logged
// 500, and counted as one: an alert on the 5xx rate of
// bff_http_requests_total must see the bugs too.
func TestAPanicIsCountedAsA500(t *testing.T) {
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	// No Scenes: loading the feed dereferences a nil service.
	env := endpoint.Env{Metrics: endpoint.NewMetrics(reg)}
	h := bff.NewServer(slog.New(slog.NewJSONHandler(&logs, nil)), env, mosaic.OpenAPI(), nil, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/web/v1/feed", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(logs.String(), "panic serving request") {
		t.Fatalf("%d, logs %.300s; want a logged 500", rec.Code, logs.String())
	}
	if n := requestsWithCode(t, reg, "500")["web/feed"]; n != 1 {
		t.Errorf("bff_http_requests_total of web feed 500: %v, want 1", n)
	}
}
