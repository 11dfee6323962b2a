package record_test

import (
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/fakes"
	"mosaic/mocks/internal/mocktest"
	"mosaic/mocks/record"
)

func TestRecorder(t *testing.T) {
	rec := &record.Recorder{}
	_, cl := mocktest.Start(t, fakes.Options{Recorder: rec})
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-color", "red")

	before := time.Now()
	var wg sync.WaitGroup
	for range 4 { // concurrent calls: the recorder must be race-free
		wg.Go(func() {
			if _, err := cl.Archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: mocktest.IDs(1, 3)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := cl.Relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: 1, TargetMids: mocktest.IDs(1, 2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Page: 1, Ps: 5}); err != nil {
		t.Fatal(err)
	}
	_, _ = cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 51)})
	after := time.Now()

	counts := map[string]int{
		archivev1.ArchiveService_BatchGetArchives_FullMethodName:    4,
		relationv1.RelationService_BatchGetRelations_FullMethodName: 1,
		feedv1.FeedService_Recommend_FullMethodName:                 1,
		statv1.StatService_BatchGetStats_FullMethodName:             1,
		replyv1.ReplyService_BatchGetHotReplies_FullMethodName:      0,
	}
	for m, want := range counts {
		if got := rec.Count(m); got != want {
			t.Errorf("Count(%s) = %d, want %d", m, got, want)
		}
	}
	batch := map[string]int{
		archivev1.ArchiveService_BatchGetArchives_FullMethodName:    3,
		relationv1.RelationService_BatchGetRelations_FullMethodName: 2,
		feedv1.FeedService_Recommend_FullMethodName:                 0,
		statv1.StatService_BatchGetStats_FullMethodName:             51,
	}
	calls := rec.Calls()
	if len(calls) != 7 {
		t.Fatalf("%d calls recorded", len(calls))
	}
	for i, c := range calls {
		if c.Batch != batch[c.Method] {
			t.Errorf("%s batch %d, want %d", c.Method, c.Batch, batch[c.Method])
		}
		if c.Start.Before(before) || c.End.After(after) || c.End.Before(c.Start) {
			t.Errorf("%s times %v..%v outside %v..%v", c.Method, c.Start, c.End, before, after)
		}
		if i > 0 && c.Start.Before(calls[i-1].Start) {
			t.Error("calls not ordered by start")
		}
		if got := c.Metadata.Get("x-color"); !slices.Equal(got, []string{"red"}) {
			t.Errorf("%s metadata x-color %q", c.Method, got)
		}
		wantCode := codes.OK
		if c.Method == statv1.StatService_BatchGetStats_FullMethodName {
			wantCode = codes.InvalidArgument
		}
		if c.Code != wantCode {
			t.Errorf("%s code %v, want %v", c.Method, c.Code, wantCode)
		}
	}
	calls[0].Metadata.Set("x-color", "blue")
	if got := rec.Calls()[0].Metadata.Get("x-color"); got[0] != "red" {
		t.Error("Calls shares metadata with the recorder")
	}
	rec.Reset()
	if len(rec.Calls()) != 0 || rec.Count(feedv1.FeedService_Recommend_FullMethodName) != 0 {
		t.Error("Reset kept calls")
	}
}

// TestIDs: the IDs are read off the request as the server received it, for
// every request type the mocks serve, whatever its field is called.
func TestIDs(t *testing.T) {
	for _, tt := range []struct {
		req  any
		want []int64
	}{
		{&accountv1.BatchGetProfilesRequest{Mids: []int64{3, 1, 3}}, []int64{3, 1, 3}},
		{&archivev1.BatchGetArchivesRequest{Aids: []int64{9}}, []int64{9}},
		{&archivev1.ListByOwnerRequest{Mid: 5, Page: 1, Ps: 10}, nil},
		{&statv1.BatchGetStatsRequest{Aids: []int64{1, 2}}, []int64{1, 2}},
		{&relationv1.BatchGetRelationsRequest{ViewerMid: 7, TargetMids: []int64{8, 9}}, []int64{8, 9}},
		{&relationv1.BatchGetFollowerCountsRequest{Mids: []int64{4}}, []int64{4}},
		{&feedv1.RecommendRequest{ViewerMid: 7, Page: 1, Ps: 20}, nil},
		{&feedv1.RelatedRequest{Aid: 1, N: 5}, nil},
		{&replyv1.BatchGetHotRepliesRequest{Aids: []int64{6, 7}, N: 3}, []int64{6, 7}},
		{"not a message", nil},
	} {
		if got := record.IDs(tt.req); !slices.Equal(got, tt.want) {
			t.Errorf("IDs(%T %v) = %v, want %v", tt.req, tt.req, got, tt.want)
		}
	}
}

func TestSplitMethod(t *testing.T) {
	if s, m, ok := record.SplitMethod(statv1.StatService_BatchGetStats_FullMethodName); !ok || s != "stat" || m != "BatchGetStats" {
		t.Errorf("stat: %q %q %v", s, m, ok)
	}
	if _, _, ok := record.SplitMethod("/grpc.health.v1.Health/Check"); ok {
		t.Error("health counted as traffic")
	}
	if _, _, ok := record.SplitMethod("nonsense"); ok {
		t.Error("a name without a method split")
	}
}

// TestRecorderTallies: calls and IDs asked for, per method and per service,
// as the servers received them (a call over the batch limit still counts:
// it was asked).
func TestRecorderTallies(t *testing.T) {
	rec := &record.Recorder{}
	_, cl := mocktest.Start(t, fakes.Options{Recorder: rec})
	ctx := t.Context()
	for _, n := range []int64{3, 5} {
		if _, err := cl.Archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: mocktest.IDs(1, n)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 5}); err != nil {
		t.Fatal(err)
	}
	_, _ = cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 51)})
	if got := rec.Tally(archivev1.ArchiveService_BatchGetArchives_FullMethodName); got != (record.Tally{Calls: 2, IDs: 8}) {
		t.Errorf("BatchGetArchives tally %+v", got)
	}
	want := map[string]record.Tally{"archive": {Calls: 3, IDs: 8}, "stat": {Calls: 1, IDs: 51}}
	if got := rec.Services(); !maps.Equal(got, want) {
		t.Errorf("Services() = %v, want %v", got, want)
	}
	if c := rec.Calls()[0]; !slices.Equal(c.IDs, mocktest.IDs(1, 3)) || c.Batch != 3 {
		t.Errorf("first call asked for %v (batch %d)", c.IDs, c.Batch)
	}
	rec.Reset()
	if len(rec.Services()) != 0 {
		t.Error("Reset kept tallies")
	}
}
