package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"mosaic/bff/admin"
)

func TestHostsRefusesNamesItWasNotGiven(t *testing.T) {
	h := admin.Hosts([]string{"bff-0.bff.mosaic.svc."})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1:9090", http.StatusOK},
		{"10.1.2.3:9090", http.StatusOK},
		{"[::1]:9090", http.StatusOK},
		{"[fe80::1]", http.StatusOK},
		{"localhost:9090", http.StatusOK},
		{"LOCALHOST.:9090", http.StatusOK},
		{"app.localhost", http.StatusOK},
		{"bff-0.bff.mosaic.svc:9090", http.StatusOK},
		{"BFF-0.bff.mosaic.svc.", http.StatusOK},
		{"", http.StatusMisdirectedRequest}, // HTTP/1.0 with no Host: not a probe's
		{"rebind.attacker.example", http.StatusMisdirectedRequest},
		{"rebind.attacker.example:9090", http.StatusMisdirectedRequest},
		{"localhost.attacker.example", http.StatusMisdirectedRequest},
		{"127.0.0.1.nip.io:9090", http.StatusMisdirectedRequest},
		{"bff-1.bff.mosaic.svc", http.StatusMisdirectedRequest},
	} {
		req := httptest.NewRequest(http.MethodGet, "/debug/pprof/cmdline", nil)
		req.Host = tc.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("Host %q: %d %s, want %d", tc.host, rec.Code, rec.Body, tc.want)
		}
	}
}
