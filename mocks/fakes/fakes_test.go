package fakes_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/leaktest"
	"mosaic/mocks/fakes"
	"mosaic/mocks/internal/mocktest"
)

func batchCalls(cl mocktest.Clients) map[string]func(context.Context, []int64) (int, error) {
	return map[string]func(context.Context, []int64) (int, error){
		"mids": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.Account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: ids})
			return len(r.GetProfiles()), err
		},
		"aids (archives)": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.Archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: ids})
			return len(r.GetArchives()), err
		},
		"aids (stats)": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: ids})
			return len(r.GetStats()), err
		},
		"target_mids": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.Relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: 7, TargetMids: ids})
			return len(r.GetRelations()), err
		},
		"mids (counts)": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.Relation.BatchGetFollowerCounts(ctx, &relationv1.BatchGetFollowerCountsRequest{Mids: ids})
			return len(r.GetCounts()), err
		},
		"aids (replies)": func(ctx context.Context, ids []int64) (int, error) {
			r, err := cl.Reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: ids, N: 3})
			return len(r.GetReplies()), err
		},
	}
}

func TestBatchLimit(t *testing.T) {
	_, cl := mocktest.Start(t, fakes.Options{})
	for name, call := range batchCalls(cl) {
		field := strings.Fields(name)[0]
		_, err := call(t.Context(), mocktest.IDs(1, contract.MaxBatch+1))
		mocktest.WantCode(t, name+" over the limit", err, codes.InvalidArgument, field, "50")
		if n, err := call(t.Context(), mocktest.IDs(1, contract.MaxBatch)); err != nil || n != contract.MaxBatch {
			t.Errorf("%s at the limit: %d results, %v", name, n, err)
		}
	}
}

func TestUnknownIDsAbsent(t *testing.T) {
	_, cl := mocktest.Start(t, fakes.Options{})
	unknown := []int64{1, 0, -3, int64(mocktest.Seed1().Config().Archives) + 1, 1 << 40} // only 1 is an aid or a mid
	for name, call := range batchCalls(cl) {
		if n, err := call(t.Context(), unknown); err != nil || n != 1 {
			t.Errorf("%s with one known id: %d results, %v", name, n, err)
		}
		if n, err := call(t.Context(), nil); err != nil || n != 0 {
			t.Errorf("%s with no ids: %d results, %v", name, n, err)
		}
	}
	r, err := cl.Archive.BatchGetArchives(t.Context(), &archivev1.BatchGetArchivesRequest{Aids: unknown})
	if err != nil {
		t.Fatal(err)
	}
	if a := r.GetArchives()[1]; a.GetAid() != 1 || a.GetTitle() == "" {
		t.Errorf("archive 1 over gRPC: %v", a)
	}
	rel, err := cl.Feed.Related(t.Context(), &feedv1.RelatedRequest{Aid: int64(mocktest.Seed1().Config().Archives) + 1, N: 5})
	if err != nil || len(rel.GetAids()) != 0 {
		t.Errorf("Related of an unknown aid: %v, %v", rel, err)
	}
}

func TestPagingAndSizeLimits(t *testing.T) {
	_, cl := mocktest.Start(t, fakes.Options{})
	ctx := t.Context()
	_, err := cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 1, Ps: 51})
	mocktest.WantCode(t, "Recommend ps 51", err, codes.InvalidArgument, "ps", "50")
	_, err = cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 0, Ps: 10})
	mocktest.WantCode(t, "Recommend page 0", err, codes.InvalidArgument, "page")
	_, err = cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: -1, Ps: 10})
	mocktest.WantCode(t, "Recommend page -1", err, codes.InvalidArgument, "page")
	_, err = cl.Feed.Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 51})
	mocktest.WantCode(t, "Related n 51", err, codes.InvalidArgument, "n", "50")
	_, err = cl.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 0, Ps: 10})
	mocktest.WantCode(t, "ListByOwner page 0", err, codes.InvalidArgument, "page")
	_, err = cl.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 51})
	mocktest.WantCode(t, "ListByOwner ps 51", err, codes.InvalidArgument, "ps", "50")
	_, err = cl.Reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: []int64{1}, N: 51})
	mocktest.WantCode(t, "HotReplies n 51", err, codes.InvalidArgument, "n", "50")

	rec, err := cl.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: 1, Device: "app", Page: 2, Ps: 10})
	if err != nil || len(rec.GetItems()) != 10 {
		t.Fatalf("Recommend: %v, %v", rec, err)
	}
	list, err := cl.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: 1, Page: 1, Ps: 50})
	want, total := mocktest.Seed1().ListByOwner(1, 1, 50)
	if err != nil || !slices.Equal(list.GetAids(), want) || list.GetTotal() != total {
		t.Fatalf("ListByOwner over gRPC: %v, %v", list, err)
	}
}

func TestRegisterSubset(t *testing.T) {
	defer leaktest.None(t, goleak.IgnoreCurrent())
	srv := grpc.NewServer()
	if err := fakes.Register(srv, mocktest.Seed1(), "nope"); err == nil {
		t.Error("unknown service registered")
	}
	if err := fakes.Register(srv, mocktest.Seed1(), clients.Archive, clients.Stat); err != nil {
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
	if _, err := archivev1.NewArchiveServiceClient(conn).BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: mocktest.IDs(1, 2)}); err != nil {
		t.Error(err)
	}
	if _, err := statv1.NewStatServiceClient(conn).BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 2)}); err != nil {
		t.Error(err)
	}
	_, err = feedv1.NewFeedServiceClient(conn).Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 2})
	mocktest.WantCode(t, "feed on an archive+stat server", err, codes.Unimplemented)
	conn.Close()
	srv.GracefulStop()
	if err := <-done; err != nil {
		t.Error(err)
	}
	if got := clients.Services(); len(got) != 6 {
		t.Errorf("clients.Services() = %v, want the 6 services", got)
	}
}

// TestRegistryMatchesClients: every downstream the BFF has a client for has a
// mock, under the same name, in the same order.
func TestRegistryMatchesClients(t *testing.T) {
	if got, want := fakes.Names(), clients.Services(); !slices.Equal(got, want) {
		t.Fatalf("fakes registry %v, clients.Services() %v", got, want)
	}
	for _, svc := range fakes.Services() {
		srv := grpc.NewServer()
		svc.Register(srv, mocktest.Seed1())
		info := srv.GetServiceInfo()
		if len(info) != 1 {
			t.Errorf("%s registers %d services", svc.Name, len(info))
		}
		for full := range info { // "stat.v1.StatService" serves "stat"
			if pkg, _, _ := strings.Cut(full, "."); pkg != svc.Name {
				t.Errorf("%s registers %s", svc.Name, full)
			}
		}
	}
}
