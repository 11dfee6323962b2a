package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/bff/devicediff"
)

// bffctl runs the command line and returns what it printed.
func bffctl(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), append([]string{"bffctl"}, args...), func(string) string { return "" }, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestUsage(t *testing.T) {
	_, stderr, err := bffctl(t)
	if err == nil || !strings.Contains(stderr, "compare") {
		t.Errorf("no subcommand: err %v, stderr %q", err, stderr)
	}
	stdout, _, err := bffctl(t, "help")
	if err != nil || !strings.Contains(stdout, "usage: bffctl") || !strings.Contains(stdout, "compare") {
		t.Errorf("help: err %v, stdout %q", err, stdout)
	}
	_, stderr, err = bffctl(t, "frobnicate")
	if err == nil || !strings.Contains(err.Error(), `"frobnicate"`) || !strings.Contains(stderr, "usage: bffctl") {
		t.Errorf("unknown subcommand: err %v, stderr %q", err, stderr)
	}
	_, stderr, err = bffctl(t, "compare", "-h")
	if err != nil || !strings.Contains(stderr, "-budget") {
		t.Errorf("compare -h: err %v, stderr %q", err, stderr)
	}
}

func TestCompareRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"compare"},
		{"compare", "/v1/feed", "/v1/feed"},
		{"compare", "/web/v1/feed"},
		{"compare", "/app/v1/feed"},
		{"compare", "mini/v1/feed"},
		{"compare", "-base", "localhost:8080", "/v1/feed"},
		{"compare", "-budget", "0", "/v1/feed"},
		{"compare", "-nope", "/v1/feed"},
	} {
		if _, _, err := bffctl(t, args...); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
}

// devicesRow returns the four cells of a footer row, e.g. "bytes".
func devicesRow(t *testing.T, out, label string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + `\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q row in\n%s", label, out)
	}
	return m[1:]
}

func TestCompareScenes(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	var mid int64
	for _, m := range srv.Data.Mids() {
		if _, total := srv.Data.ListByOwner(m, 1, 1); total > 0 {
			mid = m
			break
		}
	}
	if mid == 0 {
		t.Fatal("no user with uploads in the dataset")
	}
	aid, ok := srv.Data.DiscussedAid(3) // a video with replies
	if !ok {
		t.Fatal("no video with replies in the dataset")
	}
	for _, tc := range []struct {
		path  string
		lines []string // paths the table must list
		list  string
	}{
		{"/v1/feed", []string{"cards[].owner", "cards[].stats.view", "cards[].view"}, "cards"},
		{"/v1/feed?ps=12", []string{"cards[].owner.name"}, "cards"},
		{"/v1/videos/" + strconv.FormatInt(aid, 10), []string{"video.stats", "related[].owner", "replies[]"}, "related"},
		{"/v1/users/" + strconv.FormatInt(mid, 10), []string{"user.name", "archives[].title"}, "archives"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			stdout, stderr, err := bffctl(t, "compare", "-base", srv.URL, "-user", "42", tc.path)
			if err != nil {
				t.Fatalf("compare: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
			}
			t.Log("\n" + stdout)
			if !regexp.MustCompile(`(?m)^path\s+app\s+pad\s+web\s+mini\s+note$`).MatchString(stdout) {
				t.Errorf("no table header in\n%s", stdout)
			}
			for _, path := range tc.lines {
				if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(path) + `\s+(present|absent)`).MatchString(stdout) {
					t.Errorf("no row for %s", path)
				}
			}
			if got := devicesRow(t, stdout, "status"); strings.Join(got, " ") != "200 200 200 200" {
				t.Errorf("status %v", got)
			}
			if got := devicesRow(t, stdout, "spec"); strings.Join(got, " ") != "ok ok ok ok" {
				t.Errorf("spec %v", got)
			}
			for i, b := range devicesRow(t, stdout, "bytes") {
				if n, err := strconv.Atoi(b); err != nil || n == 0 {
					t.Errorf("%s bytes %q", devicediff.Devices()[i], b)
				}
			}
			for i, cell := range devicesRow(t, stdout, "#"+tc.list) {
				if n, err := strconv.Atoi(cell); err != nil || n == 0 {
					t.Errorf("%s has %q %s", devicediff.Devices()[i], cell, tc.list)
				}
			}
			devicesRow(t, stdout, "bytes/card")
			if !regexp.MustCompile(`(?m)^budget: .*: ok$`).MatchString(stdout) {
				t.Errorf("no budget verdict in\n%s", stdout)
			}
		})
	}
}

// Every device is asked with the same headers, those the flags give: a
// comparison of one device on 2g against another on wifi would show
// differences no device has.
func TestCompareSendsTheFlagsHeadersToEveryDevice(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	var mu sync.Mutex
	seen := map[string]http.Header{}
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		device, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		mu.Lock()
		seen[device] = r.Header.Clone()
		mu.Unlock()
		srv.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	if stdout, stderr, err := bffctl(t, "compare", "-base", rec.URL, "-user", "42", "-network", "2g", "-lang", "en", "-build", "7999999", "/v1/feed"); err != nil {
		t.Fatalf("compare: %v\n%s\n%s", err, stdout, stderr)
	}
	want := map[string]string{"X-User-Id": "42", "X-Network": "2g", "Accept-Language": "en", "X-Client-Build": "7999999"}
	for _, dev := range devicediff.Devices() {
		for name, v := range want {
			if got := seen[dev].Get(name); got != v {
				t.Errorf("%s was asked with %s %q, want %q", dev, name, got, v)
			}
		}
	}
}

func TestCompareMarksTypeDifferences(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	stdout, _, err := bffctl(t, "compare", "-base", srv.URL, "/v1/feed")
	if err != nil {
		t.Fatal(err)
	}
	// The app and the pad get {num, text}, the web a plain number.
	want := `(?m)^cards\[\]\.stats\.view\s+present\s+present\s+present\s+absent\s+differs: object on app,pad; number on web$`
	if !regexp.MustCompile(want).MatchString(stdout) {
		t.Errorf("no %s in\n%s", want, stdout)
	}
}

// proxy serves srv's responses, after edit has had its way with them.
func proxy(t *testing.T, srv *apitest.Server, edit func(device string, status int, body []byte) (int, []byte)) string {
	t.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	client := &http.Client{Transport: transport}
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, srv.URL+r.URL.RequestURI(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		// The transport negotiates compression and decodes, so edit sees JSON.
		req.Header.Del("Accept-Encoding")
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		device, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		status, body := edit(device, resp.StatusCode, body)
		// mosaic's headers go through (the spec requires some), but for
		// the length of a body edit has changed; a status it made up is a
		// problem, and problems are not stored.
		h := w.Header()
		for _, name := range []string{"Content-Type", "Cache-Control", "Etag", "Vary"} { // canonical keys
			h[name] = resp.Header.Values(name)
		}
		if status != resp.StatusCode && status != http.StatusOK {
			h.Set("Content-Type", "application/problem+json")
			h.Set("Cache-Control", "no-store")
			h.Del("ETag")
		}
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(func() {
		p.Close()
		transport.CloseIdleConnections()
	})
	return p.URL
}

// editJSON decodes a body, lets f change it and encodes it again.
func editJSON(t *testing.T, body []byte, f func(map[string]any)) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("proxy: %v", err)
		return body
	}
	f(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Errorf("proxy: %v", err)
	}
	return out
}

func cardsOf(v map[string]any, list string) []map[string]any {
	var out []map[string]any
	for _, c := range v[list].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

// fatTitle is a title no mini card should carry, and that the spec allows.
var fatTitle = strings.Repeat("长", 3000)

func TestCompareFailsOverBudget(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	aid := srv.Data.VisibleAids()[7]

	t.Run("feed, averages", func(t *testing.T) {
		base := proxy(t, srv, func(device string, status int, body []byte) (int, []byte) {
			if device != "mini" {
				return status, body
			}
			return status, editJSON(t, body, func(v map[string]any) {
				for _, c := range cardsOf(v, "cards") {
					c["title"] = fatTitle
				}
			})
		})
		stdout, _, err := bffctl(t, "compare", "-base", base, "/v1/feed")
		if err == nil {
			t.Fatalf("fat mini cards passed:\n%s", stdout)
		}
		if !strings.Contains(err.Error(), "average mini card") || !strings.Contains(err.Error(), "0.40 budget") {
			t.Errorf("err %v, want the averages over budget", err)
		}
		if strings.Contains(err.Error(), "spec") {
			t.Errorf("err %v: the fat cards should be spec-valid", err)
		}
		if got := devicesRow(t, stdout, "spec"); strings.Join(got, " ") != "ok ok ok ok" {
			t.Errorf("spec %v", got)
		}
		if !strings.Contains(stdout, "OVER BUDGET") {
			t.Errorf("no OVER BUDGET in\n%s", stdout)
		}
	})

	t.Run("video, paired by aid", func(t *testing.T) {
		var fat string
		base := proxy(t, srv, func(device string, status int, body []byte) (int, []byte) {
			if device != "mini" {
				return status, body
			}
			return status, editJSON(t, body, func(v map[string]any) {
				c := cardsOf(v, "related")[0]
				c["title"] = fatTitle
				fat = c["aid"].(json.Number).String()
			})
		})
		stdout, _, err := bffctl(t, "compare", "-base", base, "/v1/videos/"+strconv.FormatInt(aid, 10))
		if err == nil {
			t.Fatalf("a fat mini card passed:\n%s", stdout)
		}
		if !strings.Contains(err.Error(), "budget") || !strings.Contains(err.Error(), "heaviest: aid "+fat+" ") {
			t.Errorf("err %v, want the budget broken, aid %s the heaviest", err, fat)
		}
		if strings.Contains(err.Error(), "spec") {
			t.Errorf("err %v: the fat card should be spec-valid", err)
		}
		if !strings.Contains(stdout, "heaviest: aid "+fat+" ") {
			t.Errorf("aid %s not listed in\n%s", fat, stdout)
		}
	})

	t.Run("the video itself", func(t *testing.T) {
		base := proxy(t, srv, func(device string, status int, body []byte) (int, []byte) {
			if device != "mini" {
				return status, body
			}
			return status, editJSON(t, body, func(v map[string]any) {
				v["video"].(map[string]any)["title"] = fatTitle
			})
		})
		_, _, err := bffctl(t, "compare", "-base", base, "/v1/videos/"+strconv.FormatInt(aid, 10))
		if err == nil || !strings.Contains(err.Error(), "aid "+strconv.FormatInt(aid, 10)+" ") {
			t.Errorf("err %v, want aid %d over budget", err, aid)
		}
	})
}

func TestCompareFailsOnSpec(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	base := proxy(t, srv, func(device string, status int, body []byte) (int, []byte) {
		if device != "mini" {
			return status, body
		}
		// title is required; a smaller card keeps the budget out of it.
		return status, editJSON(t, body, func(v map[string]any) {
			delete(cardsOf(v, "cards")[0], "title")
		})
	})
	stdout, _, err := bffctl(t, "compare", "-base", base, "/v1/feed")
	if err == nil {
		t.Fatalf("a card without a title passed:\n%s", stdout)
	}
	if !strings.Contains(err.Error(), "mini: spec:") || !strings.Contains(err.Error(), "title") {
		t.Errorf("err %v, want mini failing the spec on title", err)
	}
	if strings.Contains(err.Error(), "budget") {
		t.Errorf("err %v mentions the budget", err)
	}
	if got := devicesRow(t, stdout, "spec"); strings.Join(got, " ") != "ok ok ok FAIL" {
		t.Errorf("spec %v", got)
	}
}

func TestCompareFailsOnStatus(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	base := proxy(t, srv, func(device string, status int, body []byte) (int, []byte) {
		if device != "pad" {
			return status, body
		}
		return http.StatusServiceUnavailable, []byte(`{"type":"about:blank","title":"Service Unavailable","status":503,"section":"feed"}`)
	})
	stdout, _, err := bffctl(t, "compare", "-base", base, "/v1/feed")
	if err == nil {
		t.Fatalf("a 503 passed:\n%s", stdout)
	}
	if !strings.Contains(err.Error(), "pad: GET ") || !strings.Contains(err.Error(), "503") {
		t.Errorf("err %v, want pad's 503", err)
	}
	if strings.Contains(err.Error(), "spec") {
		t.Errorf("err %v: the 503 is spec-valid", err)
	}
	if got := devicesRow(t, stdout, "status"); strings.Join(got, " ") != "200 503 200 200" {
		t.Errorf("status %v", got)
	}
	// The table is printed anyway, pad's column empty.
	if !regexp.MustCompile(`(?m)^cards\[\]\.owner\s+present\s+absent\s+present\s+absent`).MatchString(stdout) {
		t.Errorf("no table in\n%s", stdout)
	}
}

func TestCompareFailsWhenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stdout, _, err := bffctl(t, "compare", "-base", "http://"+addr, "-timeout", "2s", "/v1/feed")
	if err == nil || !strings.Contains(err.Error(), "4 problem") {
		t.Errorf("err %v", err)
	}
	if got := devicesRow(t, stdout, "status"); strings.Join(got, " ") != "error error error error" {
		t.Errorf("status %v", got)
	}
}
