package bff_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/devices"
	"mosaic/bff/request"
	"mosaic/internal/reqid"
)

// ambiguous sends path with headers added in order (a name twice is a
// repeated header), checks the answer against the spec and returns its
// status and problem param.
func ambiguous(t *testing.T, srv *apitest.Server, path string, headers [][2]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Spec.Validate(req, resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("%v\nbody: %s", err, body)
	}
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	var p struct {
		Status int    `json:"status"`
		Param  string `json:"param"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Status != resp.StatusCode || p.Detail == "" {
		t.Errorf("%s: problem %s, %v", path, body, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	return resp.StatusCode, p.Param
}

// A repeated parameter or single-valued header, or a query that does not
// decode, is a 400 problem naming it, on every device and scene, before any
// downstream call; never a silent first-value-wins.
func TestAmbiguousInputIsRefused(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	scenes := map[string]string{
		"feed":  "/v1/feed",
		"video": fmt.Sprintf("/v1/videos/%d", someVideo(t, srv)),
		"user":  fmt.Sprintf("/v1/users/%d", busyUser(t, srv)),
	}
	twice := func(name, a, b string) [][2]string { return [][2]string{{name, a}, {name, b}} }
	type input struct {
		query   string
		headers [][2]string
		param   string
		paged   bool // only paged scenes (feed, user) read it
		builds  bool // only devices with builds (app, pad) read it
	}
	inputs := []input{
		{query: "?ps=5&ps=abc", param: "ps", paged: true},
		{query: "?ps=5&ps=5", param: "ps", paged: true},
		{query: "?page=1&page=2", param: "page", paged: true},
		{query: "?page=2&p%61ge=2", param: "page", paged: true},
		{query: "?page=%ZZ", param: "page"},
		{query: "?ps=1%2", param: "ps"},
		{query: "?page=2;ps=5", param: "query"},
		{query: "?pa%ZZge=1", param: "query"},
		{query: "?utm_source=%ZZ", param: "utm_source"},
		{headers: twice("X-User-Id", "42", "43"), param: "X-User-Id"},
		{headers: twice("X-User-Id", "42", "42"), param: "X-User-Id"},
		{headers: twice("X-Mock-Scenario", "stat=unavailable", ""), param: "X-Mock-Scenario"},
		{headers: twice("X-Mock-Scenario", "", "stat=unavailable"), param: "X-Mock-Scenario"},
		{headers: twice("X-Color", "red", "blue"), param: "X-Color"},
		{headers: twice("X-Network", "wifi", "2g"), param: "X-Network"},
		{headers: twice("X-Client-Build", "7000000", "9000000"), param: "X-Client-Build", builds: true},
	}
	var refused, n int
	for scene, path := range scenes {
		for _, dev := range devices.Names() {
			for _, in := range inputs {
				want, wantParam := http.StatusBadRequest, in.param
				if d, _ := devices.ByName(dev); in.paged && scene == "video" || in.builds && !d.Builds {
					want, wantParam = http.StatusOK, "" // the route does not read it
				}
				// The calls are told apart by the request's id: a 200
				// before may have started a refresh ahead of expiry in
				// the background, which ends whenever it ends.
				id := fmt.Sprintf("ambiguous-%d", n)
				n++
				status, param := ambiguous(t, srv, "/"+dev+path+in.query, append(slices.Clone(in.headers), [2]string{"X-Request-Id", id}))
				if status != want || param != wantParam {
					t.Errorf("%s %s%s %v: %d naming %q, want %d naming %q", dev, scene, in.query, in.headers, status, param, want, wantParam)
				}
				if status == http.StatusOK && callsOf(srv, id) == 0 {
					t.Errorf("%s %s%s: a 200 made no call carrying its request id, so a 400's count of them would see none either", dev, scene, in.query)
				}
				if status == http.StatusBadRequest {
					refused++
					if calls := callsOf(srv, id); calls != 0 {
						t.Errorf("%s %s%s %v: a 400 after %d downstream calls", dev, scene, in.query, in.headers, calls)
					}
				}
			}
		}
	}
	t.Logf("%d ambiguous requests refused with a 400 naming the input", refused)
}

// What no route reads may repeat: parameters it does not take. And a list
// header (Accept-Language) may come in several fields, which are one list:
// with the best-weighted tag in the second field, that tag counts.
func TestRepeatsOfWhatIsNotReadAreFine(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	if status, param := ambiguous(t, srv, "/web/v1/feed?utm=a&utm=b&page=2", nil); status != http.StatusOK {
		t.Fatalf("repeated utm: %d naming %q", status, param)
	}
	path := fmt.Sprintf("/app/v1/users/%d?ps=20", busyUser(t, srv))
	body := func(fields ...string) string {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			req.Header.Add("Accept-Language", f)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	en, zh, two := body("en"), body("zh-CN"), body("en;q=0.1", "zh-CN")
	if en == zh {
		t.Fatal("the page reads the same in both languages: pick one with large counts")
	}
	if two != zh {
		t.Errorf("Accept-Language in two fields (en;q=0.1 then zh-CN) was not read as one list:\n%s", two)
	}
}

// Outside mock mode X-Mock-Scenario is not read, so its repeats are not
// refused either; nor is a repeated X-User-Id from a peer whose X-User-Id
// is ignored anyway.
func TestRepeatsOfIgnoredHeadersAreFine(t *testing.T) {
	realMode := apitest.Start(t, apitest.Options{RealMode: true})
	if status, param := ambiguous(t, realMode, "/web/v1/feed", [][2]string{{"X-Mock-Scenario", "a"}, {"X-Mock-Scenario", "b"}}); status != http.StatusOK {
		t.Errorf("real mode: repeated X-Mock-Scenario: %d naming %q", status, param)
	}
	untrusted := apitest.Start(t, apitest.Options{Trust: request.Trust{netip.MustParsePrefix("192.0.2.0/24")}})
	if status, param := ambiguous(t, untrusted, "/web/v1/feed", [][2]string{{"X-User-Id", "1"}, {"X-User-Id", "2"}}); status != http.StatusOK {
		t.Errorf("untrusted peer: repeated X-User-Id: %d naming %q", status, param)
	}
}

// X-Request-Id only names a request in the logs; it changes no answer, so a
// repeated one is not worth a refused screen. But neither value is safe to
// log under (which one the gateway meant is unknown), so, like one that is
// not printable, it is replaced by a fresh id, echoed in the answer.
func TestRepeatedRequestIDIsReplaced(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/web/v1/feed", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Add("X-Request-Id", "first")
	req.Header.Add("X-Request-Id", "second")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	switch got := resp.Header.Values("X-Request-Id"); {
	case len(got) != 1 || got[0] == "":
		t.Errorf("X-Request-Id echoed as %q, want one fresh id", got)
	case got[0] == "first" || got[0] == "second":
		t.Errorf("X-Request-Id %q: one of two repeated values was kept", got[0])
	}
}

// callsOf counts the downstream calls srv's mocks answered for the request
// with id.
func callsOf(srv *apitest.Server, id string) int {
	n := 0
	for _, c := range srv.Recorder.Calls() {
		if slices.Contains(c.Metadata.Get(reqid.MetadataKey), id) {
			n++
		}
	}
	return n
}
