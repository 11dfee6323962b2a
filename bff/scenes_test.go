package bff_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"mosaic/bff/apitest"
	"mosaic/bff/devices"
	"mosaic/bff/server"
)

const (
	mRelated   = "/feed.v1.FeedService/Related"
	mReplies   = "/reply.v1.ReplyService/BatchGetHotReplies"
	mFollowers = "/relation.v1.RelationService/BatchGetFollowerCounts"
	mList      = "/archive.v1.ArchiveService/ListByOwner"
)

// A video and a user that exist and are visible in the test dataset.
func someVideo(t *testing.T, srv *apitest.Server) int64 { return srv.Data.VisibleAids()[7] }

// discussedVideo is a visible video with at least three hot replies, for
// a page that shows every section.
func discussedVideo(t *testing.T, srv *apitest.Server) int64 {
	t.Helper()
	aid, ok := srv.Data.DiscussedAid(3)
	if !ok {
		t.Fatal("no video has three hot replies")
	}
	return aid
}

// busyUser is a user with more uploads than any page size.
func busyUser(t *testing.T, srv *apitest.Server) int64 {
	for _, mid := range srv.Data.Mids() {
		if _, total := srv.Data.ListByOwner(mid, 1, 1); total > 60 {
			return mid
		}
	}
	t.Fatal("no user with more than 60 uploads")
	return 0
}

func TestVideoAndUserServeEveryDevice(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	aid, mid := someVideo(t, srv), busyUser(t, srv)
	for _, dev := range devices.Names() {
		for _, h := range [][]string{
			nil,
			{"X-User-Id", "42", "X-Network", "2g", "Accept-Language", "zh-CN"},
			{"X-User-Id", "7", "Accept-Language", "en", "X-Client-Build", "7100000"},
		} {
			for _, path := range []string{fmt.Sprintf("/%s/v1/videos/%d", dev, aid), fmt.Sprintf("/%s/v1/users/%d?page=2", dev, mid)} {
				resp := srv.Get(t, path, h...)
				if resp.Status != http.StatusOK {
					t.Errorf("%s %v: %d %s", path, h, resp.Status, resp.Body)
				}
			}
		}
	}
}

// Video: 6 calls and user: 6 calls, each method once, whatever the number of
// related videos, replies or uploads each device shows. Caches off: the
// same screens on every device would be served from memory after the first.
func TestVideoAndUserCallEachDownstreamOnce(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{Cache: apitest.NoCache()})
	aid, mid := someVideo(t, srv), busyUser(t, srv)
	check := func(path string, want []string) {
		t.Helper()
		srv.Recorder.Reset()
		if resp := srv.Get(t, path, "X-User-Id", "42"); resp.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.Status, resp.Body)
		}
		if got := srv.Recorder.Calls(); len(got) != len(want) {
			t.Errorf("%s: %d calls %v, want %d", path, len(got), methods(got), len(want))
		}
		for _, m := range want {
			if n := srv.Recorder.Count(m); n != 1 {
				t.Errorf("%s: %s called %d times", path, m, n)
			}
		}
	}
	for _, dev := range devices.Names() {
		check(fmt.Sprintf("/%s/v1/videos/%d", dev, aid), []string{mRelated, mReplies, mArchives, mStats, mProfiles, mRelations})
		for _, ps := range []int{1, 12, 50} {
			check(fmt.Sprintf("/%s/v1/users/%d?ps=%d", dev, mid, ps), []string{mProfiles, mFollowers, mRelations, mList, mArchives, mStats})
		}
	}
}

func TestHiddenAndUnknownEntities(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	hidden := srv.Data.HiddenAids()[0]
	for _, dev := range devices.Names() {
		for _, path := range []string{
			fmt.Sprintf("/%s/v1/videos/%d", dev, hidden),
			fmt.Sprintf("/%s/v1/videos/%d", dev, 99999999),
			fmt.Sprintf("/%s/v1/users/%d", dev, 99999999),
		} {
			if resp := srv.Get(t, path); resp.Status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, resp.Status)
			}
		}
		// The video page has no page: its page and ps are not inputs.
		if resp := srv.Get(t, fmt.Sprintf("/%s/v1/videos/%d?page=abc&ps=0", dev, someVideo(t, srv))); resp.Status != http.StatusOK {
			t.Errorf("%s video with stray page/ps: %d", dev, resp.Status)
		}
		video := strconv.FormatInt(someVideo(t, srv), 10)
		for _, path := range []string{"/videos/abc", "/videos/0", "/videos/-1", "/users/1.5", "/users/0", "/videos/+" + video, "/videos/%2B" + video,
			"/videos/0" + video, "/users/007", // one number, one URL
			fmt.Sprintf("/videos/%%25%X%s", video[0], video[1:])} { // %25 is '%': the text %3N, decoded once
			if resp := srv.Get(t, "/"+dev+"/v1"+path); resp.Status != http.StatusBadRequest {
				t.Errorf("%s%s: %d, want 400", dev, path, resp.Status)
			}
		}
		// An escaped digit is the digit: the path means the same video.
		escaped := fmt.Sprintf("/%s/v1/videos/%%%X%s", dev, video[0], video[1:])
		if resp := srv.Get(t, escaped); resp.Status != http.StatusOK {
			t.Errorf("%s: %d, want 200 for video %s", escaped, resp.Status, video)
		}
	}
}

// A hidden related video or upload is dropped from the page.
func TestHiddenItemsAreDropped(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{})
	isHidden := func(aid int64) bool { return slices.Contains(srv.Data.HiddenAids(), aid) }

	var video int64
	for _, aid := range srv.Data.VisibleAids() {
		if slices.ContainsFunc(srv.Data.Related(aid, 20), isHidden) {
			video = aid
			break
		}
	}
	body := string(srv.Get(t, fmt.Sprintf("/web/v1/videos/%d", video)).Body)
	for _, aid := range srv.Data.Related(video, 20) {
		if shown := strings.Contains(body, fmt.Sprintf(`"aid":%d,`, aid)); shown == isHidden(aid) {
			t.Errorf("video %d: related %d hidden=%v shown=%v", video, aid, isHidden(aid), shown)
		}
	}

	for _, mid := range srv.Data.Mids() {
		aids, _ := srv.Data.ListByOwner(mid, 1, 50)
		if !slices.ContainsFunc(aids, isHidden) {
			continue
		}
		body := string(srv.Get(t, fmt.Sprintf("/web/v1/users/%d?ps=50", mid)).Body)
		for _, aid := range aids {
			if shown := strings.Contains(body, fmt.Sprintf(`"aid":%d,`, aid)); shown == isHidden(aid) {
				t.Errorf("user %d: upload %d hidden=%v shown=%v", mid, aid, isHidden(aid), shown)
			}
		}
		return
	}
	t.Fatal("no user with a hidden upload on page 1")
}

// When the list answers and only the archives after it fail, the uploads
// are left out all the same, and so is their count: a client paging on
// has_more must not go on past a page it could not load. Uploads shown
// stale are shown, and counted.
func TestUserPageHidesTheCountOfUploadsItLeftOut(t *testing.T) {
	const fresh = 200 * time.Millisecond
	var down atomic.Bool
	c := server.Defaults().Cache
	c.ArchiveFresh, c.Stale = fresh, time.Minute
	srv := apitest.Start(t, apitest.Options{Cache: &c, Interceptors: []grpc.UnaryServerInterceptor{failing(mArchives, &down)}})
	const ps = 7
	mid := userWithHiddenUpload(t, srv, ps)
	page := func(n int) string { return fmt.Sprintf("/app/v1/users/%d?ps=%d&page=%d", mid, ps, n) }
	if p := getPage(t, srv, page(1)); !p.HasMore || p.Total == 0 {
		t.Fatalf("user %d, archives up: has_more %v, total %d", mid, p.HasMore, p.Total)
	}
	time.Sleep(fresh * 11 / 10) // past the freshness bound, jitter included
	down.Store(true)
	check := func(n int, reason string, shown bool) {
		t.Helper()
		resp := srv.Get(t, page(n))
		if got := degradedOf(t, resp.Body); len(got) != 1 || got[0]["section"] != "archives" || got[0]["reason"] != reason {
			t.Fatalf("page %d, archives down: degraded %v, want archives: %s alone", n, got, reason)
		}
		p := getPage(t, srv, page(n))
		if got := p.HasMore && p.Total > 0 && len(p.Archives) > 0; got != shown {
			t.Errorf("page %d, archives %s: has_more %v, total %d, %d archives; want them shown: %v", n, reason, p.HasMore, p.Total, len(p.Archives), shown)
		}
		if !shown && (p.HasMore || p.Total != 0 || len(p.Archives) != 0) {
			t.Errorf("page %d, archives left out: has_more %v, total %d, %d archives; want false, 0, none", n, p.HasMore, p.Total, len(p.Archives))
		}
	}
	check(1, "stale", true)
	check(2, "unavailable", false) // never seen: the list answers, its archives do not
}
