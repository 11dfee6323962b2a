package bff_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"mosaic/bff/apitest"
	"mosaic/bff/devices"
	"mosaic/mocks/record"
)

// Full gRPC method names as the mock servers record them.
const (
	mRecommend = "/feed.v1.FeedService/Recommend"
	mArchives  = "/archive.v1.ArchiveService/BatchGetArchives"
	mStats     = "/stat.v1.StatService/BatchGetStats"
	mProfiles  = "/account.v1.AccountService/BatchGetProfiles"
	mRelations = "/relation.v1.RelationService/BatchGetRelations"
)

type feedBody struct {
	Page  int               `json:"page"`
	PS    int               `json:"ps"`
	Cards []json.RawMessage `json:"cards"`
}

func decodeFeed(t *testing.T, body []byte) feedBody {
	t.Helper()
	var f feedBody
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatalf("feed body: %v\n%s", err, body)
	}
	return f
}

func TestFeedServesEveryDevice(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	for _, dev := range devices.Names() {
		for _, h := range [][]string{
			nil,
			{"X-User-Id", "42", "X-Network", "2g", "Accept-Language", "zh-CN,zh;q=0.9"},
			{"X-User-Id", "7", "X-Network", "4g", "Accept-Language", "en-US", "X-Client-Build", "7100000"},
		} {
			resp := srv.Get(t, "/"+dev+"/v1/feed?page=2", h...)
			if resp.Status != http.StatusOK {
				t.Fatalf("%s %v: status %d: %s", dev, h, resp.Status, resp.Body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q", dev, ct)
			}
			if f := decodeFeed(t, resp.Body); len(f.Cards) == 0 || f.Page != 2 {
				t.Errorf("%s: page %d with %d cards", dev, f.Page, len(f.Cards))
			}
		}
	}
}

// One feed request calls each of its five downstream methods exactly once,
// whatever the page size (up to the batch limit of 50).
//
// Caches off: with them, the stats an earlier subtest cached (fresh for
// 1 s) are in their refresh-ahead window once the subtests before have
// taken about 0.7 s, which a starved -race run can reach, and a read of
// them then starts a background refresh: a second stat call that the
// count would blame on the request.
func TestFeedCallsEachDownstreamOnce(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{Cache: apitest.NoCache()})
	for _, tc := range []struct {
		dev string
		ps  int
	}{{"web", 1}, {"web", 10}, {"web", 20}, {"web", 50}, {"app", 20}, {"pad", 40}, {"mini", 12}} {
		t.Run(fmt.Sprintf("%s/ps=%d", tc.dev, tc.ps), func(t *testing.T) {
			srv.Recorder.Reset()
			resp := srv.Get(t, fmt.Sprintf("/%s/v1/feed?ps=%d", tc.dev, tc.ps), "X-User-Id", "42")
			if resp.Status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			}
			calls := srv.Recorder.Calls()
			if len(calls) != 5 {
				t.Errorf("%d downstream calls, want 5: %v", len(calls), methods(calls))
			}
			for _, m := range []string{mRecommend, mArchives, mStats, mProfiles, mRelations} {
				if n := srv.Recorder.Count(m); n != 1 {
					t.Errorf("%s called %d times, want 1", m, n)
				}
			}
		})
	}
}

// An anonymous viewer follows nobody: the relation call is skipped.
func TestFeedAnonymousSkipsRelations(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	srv.Get(t, "/web/v1/feed?ps=20")
	if n := srv.Recorder.Count(mRelations); n != 0 {
		t.Errorf("anonymous feed called relations %d times", n)
	}
	if n := len(srv.Recorder.Calls()); n != 4 {
		t.Errorf("anonymous feed made %d calls, want 4", n)
	}
}

func TestFeedPageSizeDefaultsAndClamps(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	for _, tc := range []struct {
		dev          string
		query        string
		wantPS       int
		wantRecBatch int
	}{
		{"app", "", 10, 10}, {"app", "?ps=21", 20, 20}, {"app", "?ps=1000000", 20, 20},
		{"pad", "", 20, 20}, {"pad", "?ps=41", 40, 40},
		{"web", "", 20, 20}, {"web", "?ps=51", 50, 50},
		{"mini", "", 6, 6}, {"mini", "?ps=13", 12, 12},
	} {
		srv.Recorder.Reset()
		resp := srv.Get(t, "/"+tc.dev+"/v1/feed"+tc.query)
		f := decodeFeed(t, resp.Body)
		if f.PS != tc.wantPS || len(f.Cards) > tc.wantPS {
			t.Errorf("%s%s: ps %d with %d cards, want ps %d", tc.dev, tc.query, f.PS, len(f.Cards), tc.wantPS)
		}
		for _, c := range srv.Recorder.Calls() {
			if c.Method == mArchives && c.Batch > tc.wantRecBatch {
				t.Errorf("%s%s: archives batch of %d", tc.dev, tc.query, c.Batch)
			}
		}
	}
}

func TestFeedRejectsBadInput(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	for _, tc := range []struct {
		path      string
		headers   []string
		status    int
		wantParam string
	}{
		{"/tv/v1/feed", nil, 404, ""},
		{"/APP/v1/feed", nil, 404, ""},
		{"/app/v2/feed", nil, 404, ""},
		{"/web/v1/feed?page=0", nil, 400, "page"},
		{"/web/v1/feed?page=-1", nil, 400, "page"},
		{"/web/v1/feed?page=abc", nil, 400, "page"},
		{"/web/v1/feed?page=1e3", nil, 400, "page"},
		{"/web/v1/feed?page=99999999999999999999", nil, 400, "page"},
		{"/web/v1/feed?page=10001", nil, 400, "page"},
		{"/app/v1/feed?ps=0", nil, 400, "ps"},
		{"/pad/v1/feed?ps=-5", nil, 400, "ps"},
		{"/mini/v1/feed?ps=2.5", nil, 400, "ps"},
		{"/mini/v1/feed?ps=", nil, 400, "ps"}, // present but empty: not a positive integer
		{"/mini/v1/feed?page=", nil, 400, "page"},
		{"/web/v1/feed", []string{"Accept-Language", "zh-cmn-Hans, en;q=abc"}, 200, ""},
		{"/web/v1/feed", []string{"X-Network", "6g"}, 400, "X-Network"},
		{"/app/v1/feed", []string{"X-Client-Build", "latest"}, 400, "X-Client-Build"},
		{"/pad/v1/feed", []string{"X-Client-Build", "-1"}, 400, "X-Client-Build"},
		{"/web/v1/feed", []string{"X-Client-Build", "latest"}, 200, ""}, // web has no builds
		{"/web/v1/feed", []string{"Accept-Language", "en-US;q=abc"}, 200, ""},
		{"/app/v1/feed", []string{"X-User-Id", "-3"}, 400, "X-User-Id"},
	} {
		resp := srv.Get(t, tc.path, tc.headers...)
		if resp.Status != tc.status {
			t.Errorf("%s %v: status %d, want %d: %s", tc.path, tc.headers, resp.Status, tc.status, resp.Body)
			continue
		}
		if tc.status == 200 {
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: Content-Type %q", tc.path, ct)
		}
		var p struct {
			Status int    `json:"status"`
			Param  string `json:"param"`
		}
		if err := json.Unmarshal(resp.Body, &p); err != nil || p.Status != tc.status || p.Param != tc.wantParam {
			t.Errorf("%s %v: problem %s, want status %d naming %q", tc.path, tc.headers, resp.Body, tc.status, tc.wantParam)
		}
	}
}

// No device ever receives a profile's email, phone or birthday.
func TestNoPrivateFieldsReachAnyDevice(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	var secrets []string
	for _, mid := range srv.Data.Mids() {
		p, _ := srv.Data.Profile(mid)
		secrets = append(secrets, p.GetEmail(), p.GetPhone(), p.GetBirthday())
	}
	for _, dev := range devices.Names() {
		for page := 1; page <= 5; page++ {
			for _, build := range []string{"", "7000000"} {
				h := []string{"X-User-Id", fmt.Sprint(page * 11)}
				if build != "" {
					h = append(h, "X-Client-Build", build)
				}
				body := string(srv.Get(t, fmt.Sprintf("/%s/v1/feed?page=%d&ps=50", dev, page), h...).Body)
				for _, key := range []string{`"email"`, `"phone"`, `"birthday"`} {
					if strings.Contains(body, key) {
						t.Fatalf("%s page %d: body has %s", dev, page, key)
					}
				}
				for _, s := range secrets {
					if s != "" && strings.Contains(body, s) {
						t.Fatalf("%s page %d: body leaks private value %q", dev, page, s)
					}
				}
			}
		}
	}
}

// The feed runs as its dataflow in docs/ARCHITECTURE.md, read off the start and end times the
// mock servers record: Recommend → (Archives ‖ Stats) → (Profiles ‖
// Relations). Stats is held at the mock until Profiles and Relations have
// arrived (see meet), so that the test can see them start on Archives
// alone, without waiting for Stats.
func TestFeedDataflow(t *testing.T) {
	srv := dataflow(t, map[string][]string{
		mArchives:  {mStats},
		mStats:     {mProfiles, mRelations},
		mProfiles:  {mRelations},
		mRelations: {mProfiles},
	})
	if resp := srv.Get(t, "/web/v1/feed?ps=20", "X-User-Id", "42"); resp.Status != http.StatusOK {
		t.Fatalf("status %d", resp.Status)
	}
	c := map[string]record.Call{}
	for _, call := range srv.Recorder.Calls() {
		c[call.Method] = call
	}
	called(t, c, mRecommend, mArchives, mStats, mProfiles, mRelations)
	rec, arc, st, prof, rel := c[mRecommend], c[mArchives], c[mStats], c[mProfiles], c[mRelations]

	after := func(name string, call record.Call, dep string, of record.Call) {
		if call.Start.Before(of.End) {
			t.Errorf("%s started %v before %s ended", name, of.End.Sub(call.Start), dep)
		}
	}
	overlap := func(a string, ca record.Call, b string, cb record.Call) {
		if !(ca.Start.Before(cb.End) && cb.Start.Before(ca.End)) {
			t.Errorf("%s [%v] and %s [%v] do not overlap", a, span(rec, ca), b, span(rec, cb))
		}
	}
	after("Archives", arc, "Recommend", rec)
	after("Stats", st, "Recommend", rec)
	overlap("Archives", arc, "Stats", st)
	after("Profiles", prof, "Archives", arc)
	after("Relations", rel, "Archives", arc)
	overlap("Profiles", prof, "Relations", rel)
	// As soon as their input exists: neither waits for the slower Stats.
	if !prof.Start.Before(st.End) || !rel.Start.Before(st.End) {
		t.Errorf("Profiles %v / Relations %v waited for Stats (ended %v)", span(rec, prof), span(rec, rel), span(rec, st))
	}
	// And Archives/Stats did not wait for each other: both started before either ended.
	if !arc.Start.Before(st.End) || !st.Start.Before(arc.End) {
		t.Errorf("Archives %v and Stats %v ran one after the other", span(rec, arc), span(rec, st))
	}
}

func span(origin, c record.Call) string {
	return fmt.Sprintf("%v–%v", c.Start.Sub(origin.Start).Round(time.Millisecond), c.End.Sub(origin.Start).Round(time.Millisecond))
}

func methods(calls []record.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Method)
	}
	return out
}
