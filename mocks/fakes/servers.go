package fakes

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/dataset"
)

// Services is the registry of mock services, in clients.Services() order:
// adding a downstream adds one entry here (TestRegistryMatchesClients).
func Services() []Service {
	return []Service{
		{clients.Account, as(accountv1.RegisterAccountServiceServer)},
		{clients.Archive, as(archivev1.RegisterArchiveServiceServer)},
		{clients.Stat, as(statv1.RegisterStatServiceServer)},
		{clients.Relation, as(relationv1.RegisterRelationServiceServer)},
		{clients.Feed, as(feedv1.RegisterFeedServiceServer)},
		{clients.Reply, as(replyv1.RegisterReplyServiceServer)},
	}
}

// as adapts a generated RegisterXServiceServer to server, which implements
// every service (a mismatch panics at registration, which the registry
// test does for every entry).
func as[S any](register func(grpc.ServiceRegistrar, S)) func(grpc.ServiceRegistrar, *server) {
	return func(r grpc.ServiceRegistrar, s *server) { register(r, any(s).(S)) }
}

// Like the real services, the mocks reject more than contract.MaxBatch IDs
// rather than truncate, so a BFF that forgets to chunk fails loudly in mock
// mode too.

// batch answers a batch method: each known ID of ids mapped to get's value,
// unknown IDs left out, more than contract.MaxBatch IDs rejected naming field.
func batch[V any](field string, ids []int64, get func(int64) (V, bool)) (map[int64]V, error) {
	if err := checkBatch(field, ids); err != nil {
		return nil, err
	}
	out := make(map[int64]V, len(ids))
	for _, id := range ids {
		if v, ok := get(id); ok {
			out[id] = v
		}
	}
	return out, nil
}

func checkBatch(field string, ids []int64) error {
	if len(ids) > contract.MaxBatch {
		return status.Errorf(codes.InvalidArgument, "%s: %d ids exceed the batch limit of %d", field, len(ids), contract.MaxBatch)
	}
	return nil
}

// checkSize validates ps or n: 1..contract.MaxBatch.
func checkSize(field string, v int32) error {
	if v < 1 || v > contract.MaxBatch {
		return status.Errorf(codes.InvalidArgument, "%s: must be between 1 and %d, got %d", field, contract.MaxBatch, v)
	}
	return nil
}

// paged answers a paged method with serve's answer for the request's page
// and ps, once it has checked them.
func paged[R any](req interface {
	GetPage() int32
	GetPs() int32
}, serve func(page, ps int) R) (R, error) {
	var zero R
	if req.GetPage() < 1 {
		return zero, status.Errorf(codes.InvalidArgument, "page: must be at least 1, got %d", req.GetPage())
	}
	if err := checkSize("ps", req.GetPs()); err != nil {
		return zero, err
	}
	return serve(int(req.GetPage()), int(req.GetPs())), nil
}

// server is every mock service at once, over one dataset: each Register
// function of the generated code takes the part it serves. Hidden archives
// are returned with their state: hiding them is the BFF's job.
type server struct {
	accountv1.UnimplementedAccountServiceServer
	archivev1.UnimplementedArchiveServiceServer
	statv1.UnimplementedStatServiceServer
	relationv1.UnimplementedRelationServiceServer
	feedv1.UnimplementedFeedServiceServer
	replyv1.UnimplementedReplyServiceServer
	data *dataset.Dataset
}

func (s *server) BatchGetProfiles(_ context.Context, req *accountv1.BatchGetProfilesRequest) (*accountv1.BatchGetProfilesResponse, error) {
	out, err := batch("mids", req.GetMids(), s.data.Profile)
	return &accountv1.BatchGetProfilesResponse{Profiles: out}, err
}

func (s *server) BatchGetArchives(_ context.Context, req *archivev1.BatchGetArchivesRequest) (*archivev1.BatchGetArchivesResponse, error) {
	out, err := batch("aids", req.GetAids(), s.data.Archive)
	return &archivev1.BatchGetArchivesResponse{Archives: out}, err
}

func (s *server) ListByOwner(_ context.Context, req *archivev1.ListByOwnerRequest) (*archivev1.ListByOwnerResponse, error) {
	return paged(req, func(page, ps int) *archivev1.ListByOwnerResponse {
		aids, total := s.data.ListByOwner(req.GetMid(), page, ps)
		return &archivev1.ListByOwnerResponse{Aids: aids, Total: total}
	})
}

func (s *server) BatchGetStats(_ context.Context, req *statv1.BatchGetStatsRequest) (*statv1.BatchGetStatsResponse, error) {
	out, err := batch("aids", req.GetAids(), s.data.Stat)
	return &statv1.BatchGetStatsResponse{Stats: out}, err
}

func (s *server) BatchGetRelations(_ context.Context, req *relationv1.BatchGetRelationsRequest) (*relationv1.BatchGetRelationsResponse, error) {
	out, err := batch("target_mids", req.GetTargetMids(), func(mid int64) (*relationv1.Relation, bool) {
		return s.data.Relation(req.GetViewerMid(), mid), s.data.HasMid(mid)
	})
	return &relationv1.BatchGetRelationsResponse{Relations: out}, err
}

func (s *server) BatchGetFollowerCounts(_ context.Context, req *relationv1.BatchGetFollowerCountsRequest) (*relationv1.BatchGetFollowerCountsResponse, error) {
	out, err := batch("mids", req.GetMids(), s.data.FollowerCount)
	return &relationv1.BatchGetFollowerCountsResponse{Counts: out}, err
}

func (s *server) Recommend(_ context.Context, req *feedv1.RecommendRequest) (*feedv1.RecommendResponse, error) {
	return paged(req, func(page, ps int) *feedv1.RecommendResponse {
		return &feedv1.RecommendResponse{Items: s.data.Recommend(req.GetViewerMid(), req.GetDevice(), page, ps)}
	})
}

// Related answers an unknown aid with an empty list, not an error, like the
// batch methods do with unknown IDs.
func (s *server) Related(_ context.Context, req *feedv1.RelatedRequest) (*feedv1.RelatedResponse, error) {
	if err := checkSize("n", req.GetN()); err != nil {
		return nil, err
	}
	return &feedv1.RelatedResponse{Aids: s.data.Related(req.GetAid(), int(req.GetN()))}, nil
}

// BatchGetHotReplies includes every known aid, with an empty list if it has
// no replies, and omits unknown aids.
func (s *server) BatchGetHotReplies(_ context.Context, req *replyv1.BatchGetHotRepliesRequest) (*replyv1.BatchGetHotRepliesResponse, error) {
	if err := checkBatch("aids", req.GetAids()); err != nil {
		return nil, err // the batch limit first, as the real service checks it
	}
	if err := checkSize("n", req.GetN()); err != nil {
		return nil, err
	}
	out, err := batch("aids", req.GetAids(), func(aid int64) (*replyv1.Replies, bool) {
		if !s.data.HasAid(aid) {
			return nil, false
		}
		return &replyv1.Replies{Replies: s.data.HotReplies(aid, int(req.GetN()))}, true
	})
	return &replyv1.BatchGetHotRepliesResponse{Replies: out}, err
}
