package bff_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/request"
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
		if again := srv.Get(t, "/web/v1/notifications?page=2", "X-User-Id", "42"); string(again.Body) != string(resp.Body) {
			t.Errorf("real mode %v: the same request gave other bytes", tt.real)
		}
	}
}

// A mock reads the viewer as the scene routes do: each viewer gets data of
// its own (its answer varies by X-User-Id), and from a trusted peer (here
// loopback) a malformed or repeated X-User-Id is a 400 naming it; from
// anyone else the header is ignored.
func TestSpecMockReadsTheViewer(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	const path = "/web/v1/notifications"
	one, other := srv.Get(t, path, "X-User-Id", "42"), srv.Get(t, path, "X-User-Id", "43")
	if one.Status != http.StatusOK || other.Status != http.StatusOK || string(one.Body) == string(other.Body) {
		t.Errorf("viewers 42 and 43: %d and %d, same bytes: %v", one.Status, other.Status, string(one.Body) == string(other.Body))
	}
	for _, bad := range [][]string{{"X-User-Id", "x"}, {"X-User-Id", "-5"}, {"X-User-Id", "0"}} {
		resp := srv.Get(t, path, bad...)
		if resp.Status != http.StatusBadRequest || !strings.Contains(string(resp.Body), `"param":"X-User-Id"`) {
			t.Errorf("%q: %d %s, want a 400 naming X-User-Id", bad, resp.Status, resp.Body)
		}
	}
	untrusted := apitest.Start(t, apitest.Options{Trust: request.Trust{netip.MustParsePrefix("10.0.0.0/8")}})
	if a, b := untrusted.Get(t, path, "X-User-Id", "x"), untrusted.Get(t, path); a.Status != http.StatusOK || string(a.Body) != string(b.Body) {
		t.Errorf("from an untrusted peer, X-User-Id x: %d, same as anonymous: %v", a.Status, string(a.Body) == string(b.Body))
	}
}
