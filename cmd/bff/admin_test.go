package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The admin listener answers to addresses, localhost and the names of
// -admin-hosts only (a page that rebinds its own name to loopback gets
// 421), and refuses a profile longer than it would let the answer take.
func TestAdminListenerAnswersToItsOwnNames(t *testing.T) {
	s := startRun(t, nil, "-admin-hosts", "bff-0.bff.mosaic.svc")
	adminHost := strings.TrimPrefix(s.admin, "http://")
	_, port, _ := strings.Cut(adminHost, ":")
	get := func(host, path string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.admin+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		c := &http.Client{Timeout: 10 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", host, path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header.Get("X-Content-Type-Options")
	}
	for _, tc := range []struct {
		host string
		want int
	}{
		{adminHost, http.StatusOK},
		{"localhost:" + port, http.StatusOK},
		{"bff-0.bff.mosaic.svc:" + port, http.StatusOK},
		{"rebind.attacker.example:" + port, http.StatusMisdirectedRequest},
	} {
		if code, body, nosniff := get(tc.host, "/debug/pprof/cmdline"); code != tc.want || nosniff != "nosniff" {
			t.Errorf("Host %s: %d, X-Content-Type-Options %q, %.200s; want %d, nosniff", tc.host, code, nosniff, body, tc.want)
		}
	}
	// The public listener is the gateway's and the clients': any name.
	req, _ := http.NewRequest(http.MethodGet, s.public+"/web/v1/feed", nil)
	req.Host = "api.example.com"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("public listener, Host api.example.com: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	start := time.Now()
	if code, body, _ := get(adminHost, "/debug/pprof/profile?seconds=100000"); code != http.StatusBadRequest || time.Since(start) > 5*time.Second {
		t.Errorf("a 100,000 s profile: %d %.200s after %v, want a 400 at once", code, body, time.Since(start))
	}
}
