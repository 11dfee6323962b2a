package bff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"google.golang.org/grpc"

	"mosaic/bff/apitest"
	"mosaic/bff/request"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
)

// A recommender that lists a video among its own related ones: the page
// shows it once, as the video, not again among the related.
func TestAVideoIsNeverItsOwnRelated(t *testing.T) {
	selfRelated := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if r, ok := resp.(*feedv1.RelatedResponse); ok && info.FullMethod == mRelated {
			r.Aids = append([]int64{req.(*feedv1.RelatedRequest).GetAid()}, r.Aids...)
		}
		return resp, err
	}
	srv := apitest.Start(t, apitest.Options{Interceptors: []grpc.UnaryServerInterceptor{selfRelated}})
	aid := srv.Data.VisibleAids()[0]
	resp := srv.Get(t, fmt.Sprintf("/web/v1/videos/%d", aid))
	var page struct {
		Related []struct{ Aid int64 } `json:"related"`
	}
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &page) != nil {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if len(page.Related) == 0 {
		t.Fatal("no related videos: the check sees nothing")
	}
	for _, r := range page.Related {
		if r.Aid == aid {
			t.Errorf("video %d is listed among its own related", aid)
		}
	}
}

// The feed asks for the profiles of the owners of the cards it shows: a
// hidden archive is dropped, and its owner is not asked for (unless a
// visible card is theirs too).
func TestFeedAsksOnlyForTheOwnersItShows(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{Cache: apitest.NoCache()})
	hidden := 0
	for viewer := range 40 {
		srv.Recorder.Reset()
		if resp := srv.Get(t, "/web/v1/feed?ps=20", "X-User-Id", fmt.Sprint(viewer+1)); resp.Status != http.StatusOK {
			t.Fatalf("%d %s", resp.Status, resp.Body)
		}
		var aids, asked []int64
		for _, c := range srv.Recorder.Calls() {
			switch c.Method {
			case mArchives:
				aids = c.IDs
			case mProfiles:
				asked = c.IDs
			}
		}
		var want []int64
		for _, aid := range aids {
			a, ok := srv.Data.Archive(aid)
			if ok && a.GetState() == 0 {
				want = append(want, a.GetOwnerMid())
			} else {
				hidden++
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		asked = slices.Clone(asked)
		slices.Sort(asked)
		if !slices.Equal(asked, want) {
			t.Errorf("viewer %d: profiles asked for %v, want the shown cards' owners %v", viewer+1, asked, want)
		}
	}
	if hidden == 0 {
		t.Fatal("no hidden archive in 40 feeds: the check sees nothing")
	}
}

// A user page on the last page a client may ask for says no more follow,
// however many uploads the service counts: the next page would be refused.
func TestUserHasMoreStopsAtTheLastPageAsked(t *testing.T) {
	prolific := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if r, ok := resp.(*archivev1.ListByOwnerResponse); ok && info.FullMethod == mList {
			r.Total = 1 << 40
		}
		return resp, err
	}
	srv := apitest.Start(t, apitest.Options{Interceptors: []grpc.UnaryServerInterceptor{prolific}})
	mid := busyUser(t, srv)
	for page, want := range map[int]bool{1: true, request.MaxPage - 1: true, request.MaxPage: false} {
		resp := srv.Get(t, fmt.Sprintf("/web/v1/users/%d?page=%d", mid, page))
		var p struct {
			HasMore bool `json:"has_more"`
		}
		if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &p) != nil {
			t.Fatalf("page %d: %d %s", page, resp.Status, resp.Body)
		}
		if p.HasMore != want {
			t.Errorf("page %d of 2^40 uploads: has_more %v, want %v", page, p.HasMore, want)
		}
	}
}
