package admin_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic/bff/admin"
	"mosaic/bff/openapi"
)

// The QA page is mounted only when asked for, over the public handler it
// is given.
func TestQAPageMountedByOption(t *testing.T) {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var served []string
	public := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served = append(served, r.URL.Path) // one device at a time: raw serves one
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"cards":[]}`))
	})
	ready := func() error { return nil }
	for _, tc := range []struct {
		name string
		h    http.Handler
		want int
	}{
		{"without", admin.NewHandler(prometheus.NewRegistry(), ready), http.StatusNotFound},
		{"with", admin.NewHandler(prometheus.NewRegistry(), ready, admin.QA(public, spec)), http.StatusOK},
	} {
		for _, path := range []string{"/debug/compare/raw?device=mini&path=/v1/feed", "/debug/compare/assets/qa.css"} {
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if rec.Code != tc.want {
				t.Errorf("%s QA: GET %s: %d, want %d", tc.name, path, rec.Code, tc.want)
			}
		}
		rec := httptest.NewRecorder()
		tc.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != http.StatusOK {
			t.Errorf("%s QA: /healthz %d", tc.name, rec.Code)
		}
	}
	if strings.Join(served, " ") != "/mini/v1/feed" {
		t.Errorf("public handler served %q, want the mini feed once", served)
	}
}

// HEAD is answered wherever GET is, as on the public listener: a load
// balancer's or an operator's health check may send either.
func TestHeadWhereverGet(t *testing.T) {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	public := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"cards":[]}`))
	})
	for _, ready := range []bool{true, false} {
		h := admin.NewHandler(prometheus.NewRegistry(), readiness(&ready), admin.QA(public, spec))
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/debug/pprof/", "/debug/compare?path=/v1/feed", "/debug/compare/raw?device=mini&path=/v1/feed", "/debug/compare/assets/qa.css"} {
			get, head := httptest.NewRecorder(), httptest.NewRecorder()
			h.ServeHTTP(get, httptest.NewRequest(http.MethodGet, path, nil))
			h.ServeHTTP(head, httptest.NewRequest(http.MethodHead, path, nil))
			if head.Code != get.Code || get.Code == http.StatusMethodNotAllowed || get.Code == http.StatusNotFound {
				t.Errorf("ready %v: %s: HEAD %d, GET %d", ready, path, head.Code, get.Code)
			}
		}
	}
}

// A wrong path or method on the admin listener gets a problem, as on the
// public one: the 404 lists what the listener serves.
func TestAdminRefusalsAreProblems(t *testing.T) {
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := admin.NewHandler(prometheus.NewRegistry(), func() error { return nil }, admin.QA(http.NotFoundHandler(), spec))
	for _, tc := range []struct {
		method, path string
		code         int
		detail       []string
	}{
		{http.MethodGet, "/readz", http.StatusNotFound, []string{"/readz", "/readyz", "/metrics", "/debug/compare"}},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, []string{"POST"}},
		{http.MethodPost, "/metrics", http.StatusMethodNotAllowed, []string{"POST"}},
		{http.MethodDelete, "/debug/pprof/", http.StatusMethodNotAllowed, []string{"DELETE"}},
		// pprof's own answer to a profile it does not have is plain text.
		{http.MethodGet, "/debug/pprof/heapp", http.StatusNotFound, []string{"/debug/pprof/heapp", "/debug/pprof/*"}},
		// A profile, a trace or a delta profile for longer than an operator
		// waits would hold the profiler, or a goroutine, that long.
		{http.MethodGet, "/debug/pprof/profile?seconds=100000", http.StatusBadRequest, []string{"seconds", "120"}},
		{http.MethodGet, "/debug/pprof/trace?seconds=121", http.StatusBadRequest, []string{"seconds", "120"}},
		{http.MethodGet, "/debug/pprof/heap?seconds=1e9", http.StatusBadRequest, []string{"seconds", "120"}},
		// pprof would run its default for these: 30 s for a profile.
		{http.MethodGet, "/debug/pprof/profile?seconds=NaN", http.StatusBadRequest, []string{"seconds"}},
		{http.MethodGet, "/debug/pprof/profile?seconds=", http.StatusBadRequest, []string{"seconds", "from 1 to 120"}},
		{http.MethodGet, "/debug/pprof/trace?seconds=", http.StatusBadRequest, []string{"seconds", "above 0"}},
		// The QA page's assets are files: no listing, no plain-text 404.
		{http.MethodGet, "/debug/compare/assets/", http.StatusNotFound, []string{"/debug/compare/assets/"}},
		{http.MethodGet, "/debug/compare/assets/nope.js", http.StatusNotFound, []string{"nope.js"}},
		{http.MethodGet, "/debug/pprof/profile?seconds=abc", http.StatusBadRequest, []string{"seconds", "abc"}},
		{http.MethodGet, "/debug/pprof/profile?seconds=0", http.StatusBadRequest, []string{"seconds", "from 1 to 120"}},
		{http.MethodGet, "/debug/pprof/profile?seconds=-5", http.StatusBadRequest, []string{"seconds"}},
		{http.MethodGet, "/debug/pprof/profile?seconds=2.5", http.StatusBadRequest, []string{"seconds", "whole"}},
		{http.MethodGet, "/debug/pprof/heap?seconds=120x", http.StatusBadRequest, []string{"seconds"}},
		{http.MethodGet, "/debug/pprof/trace?seconds=0", http.StatusBadRequest, []string{"seconds", "above 0"}},
		{http.MethodGet, "/debug/pprof/trace?seconds=NaN", http.StatusBadRequest, []string{"seconds"}},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		body := rec.Body.String()
		if rec.Code != tc.code || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d %q, want %d application/problem+json", tc.method, tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.code)
		}
		for _, want := range tc.detail {
			if !strings.Contains(body, want) {
				t.Errorf("%s %s: body %s does not name %s", tc.method, tc.path, body, want)
			}
		}
	}
}

// readiness is ready, as the admin handler reads it.
func readiness(ready *bool) func() error {
	return func() error {
		if !*ready {
			return errors.New("waiting for a baseline instance of feed")
		}
		return nil
	}
}

// An instance not ready (starting, waiting for its downstreams, or
// draining) says so as a problem that names why; the status is what a
// probe reads, the body what an operator with curl does.
func TestNotReadyIsAProblem(t *testing.T) {
	ready := false
	h := admin.NewHandler(prometheus.NewRegistry(), readiness(&ready))
	for _, tc := range []struct {
		ready bool
		code  int
		ctype string
		body  string
	}{{false, http.StatusServiceUnavailable, "application/problem+json", "not ready: waiting for a baseline instance of feed"}, {true, http.StatusOK, "text/plain; charset=utf-8", "ready"}} {
		ready = tc.ready
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != tc.code || rec.Header().Get("Content-Type") != tc.ctype || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("ready %v: /readyz answered %d %q %s, want %d %q naming %q", tc.ready, rec.Code, rec.Header().Get("Content-Type"), rec.Body, tc.code, tc.ctype, tc.body)
		}
	}
}

// A profile or trace of a length within the bound runs.
func TestProfilesWithinTheBoundRun(t *testing.T) {
	h := admin.NewHandler(prometheus.NewRegistry(), func() error { return nil })
	for _, path := range []string{
		"/debug/pprof/profile?seconds=1",
		"/debug/pprof/trace?seconds=0.05",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("GET %s: %d with %d bytes, want 200 and a profile: %.200s", path, rec.Code, rec.Body.Len(), rec.Body)
		}
	}
}
