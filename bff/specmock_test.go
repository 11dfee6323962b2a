package bff_test

import (
	"net/http"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/specmock"
)

// Through the whole server: in mock mode the operation the spec marks as
// not built is served from its schema (apitest checks the body against the
// spec); against real downstreams it is a 501 problem.
func TestSpecMockThroughTheServer(t *testing.T) {
	for _, tt := range []struct {
		real bool
		want int
	}{{false, http.StatusOK}, {true, http.StatusNotImplemented}} {
		srv := apitest.Start(t, apitest.Options{RealMode: tt.real})
		resp := srv.Get(t, "/web/v1/notifications?page=2", "X-User-Id", "42")
		if resp.Status != tt.want {
			t.Errorf("real mode %v: %d %s, want %d", tt.real, resp.Status, resp.Body, tt.want)
		}
		if mocked := resp.Header.Get(specmock.Header) == "spec"; mocked == tt.real {
			t.Errorf("real mode %v: %s header %q", tt.real, specmock.Header, resp.Header.Get(specmock.Header))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("real mode %v: Cache-Control %q, want no-store", tt.real, cc)
		}
		if again := srv.Get(t, "/web/v1/notifications?page=2"); string(again.Body) != string(resp.Body) {
			t.Errorf("real mode %v: the same request gave other bytes", tt.real)
		}
	}
}
