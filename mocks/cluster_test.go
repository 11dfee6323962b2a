package mocks_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks"
)

type clients struct {
	account  accountv1.AccountServiceClient
	archive  archivev1.ArchiveServiceClient
	stat     statv1.StatServiceClient
	relation relationv1.RelationServiceClient
	feed     feedv1.FeedServiceClient
	reply    replyv1.ReplyServiceClient
}

// startCluster starts a cluster over seed 1 and dials every service over real gRPC;
// cleanup closes the connections, then stops the cluster.
func startCluster(t *testing.T, opts mocks.Options) (*mocks.Cluster, clients) {
	t.Helper()
	c, err := mocks.Start(t.Context(), seed1(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	dial := func(service string) *grpc.ClientConn {
		addr := c.Addr(service)
		if addr == "" {
			t.Fatalf("no address for %s", service)
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	return c, clients{
		account:  accountv1.NewAccountServiceClient(dial(mocks.Account)),
		archive:  archivev1.NewArchiveServiceClient(dial(mocks.Archive)),
		stat:     statv1.NewStatServiceClient(dial(mocks.Stat)),
		relation: relationv1.NewRelationServiceClient(dial(mocks.Relation)),
		feed:     feedv1.NewFeedServiceClient(dial(mocks.Feed)),
		reply:    replyv1.NewReplyServiceClient(dial(mocks.Reply)),
	}
}

func ids(from, n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code codes.Code, inMsg ...string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Errorf("%s: code %v (%v), want %v", what, st.Code(), err, code)
		return
	}
	for _, s := range inMsg {
		if !strings.Contains(st.Message(), s) {
			t.Errorf("%s: message %q does not mention %q", what, st.Message(), s)
		}
	}
}

// batchCalls calls every batch method with ids; each returns the size of its result map.
func batchCalls(cl clients) map[string]func(context.Context, []int64) (int, error) {
	return map[string]func(context.Context, []int64) (int, error){
		"mids": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: ids})
			return len(r.GetProfiles()), err
		},
		"aids (archives)": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: ids})
			return len(r.GetArchives()), err
		},
		"aids (stats)": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: ids})
			return len(r.GetStats()), err
		},
		"target_mids": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: 7, TargetMids: ids})
			return len(r.GetRelations()), err
		},
		"mids (counts)": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.relation.BatchGetFollowerCounts(ctx, &relationv1.BatchGetFollowerCountsRequest{Mids: ids})
			return len(r.GetCounts()), err
		},
		"aids (replies)": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: ids, N: 3})
			return len(r.GetReplies()), err
		},
	}
}

func TestBatchLimit(t *testing.T) {
	_, cl := startCluster(t, mocks.Options{})
	for name, call := range batchCalls(cl) {
		field := strings.Fields(name)[0]
		_, err := call(t.Context(), ids(1, mocks.MaxBatch+1))
		wantCode(t, name+" over the limit", err, codes.InvalidArgument, field, "50")
		if n, err := call(t.Context(), ids(1, mocks.MaxBatch)); err != nil || n != mocks.MaxBatch {
			t.Errorf("%s at the limit: %d results, %v", name, n, err)
		}
	}
}

func TestUnknownIDsAbsent(t *testing.T) {
	_, cl := startCluster(t, mocks.Options{})
	unknown := []int64{1, 0, -3, mocks.NumArchives + 1, 1 << 40} // only 1 is an aid or a mid
	for name, call := range batchCalls(cl) {
		if n, err := call(t.Context(), unknown); err != nil || n != 1 {
			t.Errorf("%s with one known id: %d results, %v", name, n, err)
		}
		if n, err := call(t.Context(), nil); err != nil || n != 0 {
			t.Errorf("%s with no ids: %d results, %v", name, n, err)
		}
	}
	r, err := cl.archive.BatchGetArchives(t.Context(), &archivev1.BatchGetArchivesRequest{Aids: unknown})
	if err != nil {
		t.Fatal(err)
	}
	if a := r.GetArchives()[1]; a.GetAid() != 1 || a.GetTitle() == "" {
		t.Errorf("archive 1 over gRPC: %v", a)
	}
	rel, err := cl.feed.Related(t.Context(), &feedv1.RelatedRequest{Aid: mocks.NumArchives + 1, N: 5})
	if err != nil || len(rel.GetAids()) != 0 {
		t.Errorf("Related of an unknown aid: %v, %v", rel, err)
	}
}

func TestPagingAndSizeLimits(t *testing.T) {
	_, cl := startCluster(t, mocks.Options{})
	ctx := t.Context()
	_, err := cl.feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 1, Ps: 51})
	wantCode(t, "Recommend ps 51", err, codes.InvalidArgument, "ps", "50")
	_, err = cl.feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 0, Ps: 10})
	wantCode(t, "Recommend page 0", err, codes.InvalidArgument, "page")
	_, err = cl.feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: -1, Ps: 10})
	wantCode(t, "Recommend page -1", err, codes.InvalidArgument, "page")
	_, err = cl.feed.Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 51})
	wantCode(t, "Related n 51", err, codes.InvalidArgument, "n", "50")
	_, err = cl.archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 0, Ps: 10})
	wantCode(t, "ListByOwner page 0", err, codes.InvalidArgument, "page")
	_, err = cl.archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 51})
	wantCode(t, "ListByOwner ps 51", err, codes.InvalidArgument, "ps", "50")
	_, err = cl.reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: []int64{1}, N: 51})
	wantCode(t, "HotReplies n 51", err, codes.InvalidArgument, "n", "50")

	rec, err := cl.feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 2, Ps: 10})
	if err != nil || len(rec.GetItems()) != 10 {
		t.Fatalf("Recommend: %v, %v", rec, err)
	}
	list, err := cl.archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 50})
	want, total := seed1().ListByOwner(1, 1, 50)
	if err != nil || !slices.Equal(list.GetAids(), want) || list.GetTotal() != total {
		t.Fatalf("ListByOwner over gRPC: %v, %v", list, err)
	}
}

func TestRecorder(t *testing.T) {
	rec := &mocks.Recorder{}
	_, cl := startCluster(t, mocks.Options{Recorder: rec})
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-color", "red")

	before := time.Now()
	var wg sync.WaitGroup
	for range 4 { // concurrent calls: the recorder must be race-free
		wg.Go(func() {
			if _, err := cl.archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: ids(1, 3)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := cl.relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: 1, TargetMids: ids(1, 2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Page: 1, Ps: 5}); err != nil {
		t.Fatal(err)
	}
	_, _ = cl.stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: ids(1, 51)})
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

func TestLatency(t *testing.T) {
	const latency = 50 * time.Millisecond
	rec := &mocks.Recorder{}
	_, cl := startCluster(t, mocks.Options{Recorder: rec, Latency: latency, Jitter: 10 * time.Millisecond})
	start := time.Now()
	if _, err := cl.stat.BatchGetStats(t.Context(), &statv1.BatchGetStatsRequest{Aids: ids(1, 2)}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < latency {
		t.Errorf("call took %v, want at least %v", elapsed, latency)
	}
	if c := rec.Calls()[0]; c.End.Sub(c.Start) < latency {
		t.Errorf("recorded %v, want at least %v", c.End.Sub(c.Start), latency)
	}
}

// TestLatencyRespectsCancellation: a caller's deadline ends the injected sleep, so
// the server answers DeadlineExceeded instead of finishing the call late.
func TestLatencyRespectsCancellation(t *testing.T) {
	const latency = time.Hour
	rec := &mocks.Recorder{}
	_, cl := startCluster(t, mocks.Options{Recorder: rec, Latency: latency})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := cl.feed.Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 3})
	wantCode(t, "client", err, codes.DeadlineExceeded)
	for give := time.Now().Add(30 * time.Second); rec.Count(feedv1.FeedService_Related_FullMethodName) == 0; {
		if time.Now().After(give) { // far below the hour of latency
			t.Fatal("the server is still sleeping after the caller gave up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c := rec.Calls()[0]; c.Code != codes.DeadlineExceeded && c.Code != codes.Canceled {
		t.Errorf("server ended the call with %v", c.Code)
	}
}

func TestStartStopLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c, err := mocks.Start(t.Context(), seed1(), mocks.Options{Recorder: &mocks.Recorder{}, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range mocks.ServiceNames() {
		conn, err := grpc.NewClient(c.Addr(name), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = accountv1.NewAccountServiceClient(conn).BatchGetProfiles(t.Context(), &accountv1.BatchGetProfilesRequest{Mids: ids(1, 2)})
		if name == mocks.Account && err != nil {
			t.Error(err)
		} else if name != mocks.Account {
			wantCode(t, name+" serving account", err, codes.Unimplemented)
		}
		conn.Close()
	}
	c.Stop()
	c.Stop() // idempotent
}

func TestRegisterSubset(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := grpc.NewServer()
	if err := mocks.Register(srv, seed1(), "nope"); err == nil {
		t.Error("unknown service registered")
	}
	if err := mocks.Register(srv, seed1(), mocks.Archive, mocks.Stat); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := archivev1.NewArchiveServiceClient(conn).BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: ids(1, 2)}); err != nil {
		t.Error(err)
	}
	if _, err := statv1.NewStatServiceClient(conn).BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: ids(1, 2)}); err != nil {
		t.Error(err)
	}
	_, err = feedv1.NewFeedServiceClient(conn).Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 2})
	wantCode(t, "feed on an archive+stat server", err, codes.Unimplemented)
	conn.Close()
	srv.GracefulStop()
	if err := <-done; err != nil {
		t.Error(err)
	}
	if got := mocks.ServiceNames(); len(got) != 6 {
		t.Errorf("ServiceNames() = %v", got)
	}
}
