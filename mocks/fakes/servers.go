package fakes

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/dataset"
)

// Like the real services, the mocks reject more than dataset.MaxBatch IDs
// rather than truncate, so a BFF that forgets to chunk fails loudly in mock
// mode too.

// batch answers a batch method: each known ID of ids mapped to get's value,
// unknown IDs left out, more than dataset.MaxBatch IDs rejected naming field.
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
	if len(ids) > dataset.MaxBatch {
		return status.Errorf(codes.InvalidArgument, "%s: %d ids exceed the batch limit of %d", field, len(ids), dataset.MaxBatch)
	}
	return nil
}

// checkSize validates ps or n: 1..dataset.MaxBatch.
func checkSize(field string, v int32) error {
	if v < 1 || v > dataset.MaxBatch {
		return status.Errorf(codes.InvalidArgument, "%s: must be between 1 and %d, got %d", field, dataset.MaxBatch, v)
	}
	return nil
}

// checkPage validates a page and its size.
func checkPage(page, ps int32) error {
	if page < 1 {
		return status.Errorf(codes.InvalidArgument, "page: must be at least 1, got %d", page)
	}
	return checkSize("ps", ps)
}

type accountServer struct {
	accountv1.UnimplementedAccountServiceServer
	data *dataset.Dataset
}

func (s *accountServer) BatchGetProfiles(_ context.Context, req *accountv1.BatchGetProfilesRequest) (*accountv1.BatchGetProfilesResponse, error) {
	out, err := batch("mids", req.GetMids(), s.data.Profile)
	return &accountv1.BatchGetProfilesResponse{Profiles: out}, err
}

// archiveServer returns hidden archives with their state: hiding them is the
// BFF's job.
type archiveServer struct {
	archivev1.UnimplementedArchiveServiceServer
	data *dataset.Dataset
}

func (s *archiveServer) BatchGetArchives(_ context.Context, req *archivev1.BatchGetArchivesRequest) (*archivev1.BatchGetArchivesResponse, error) {
	out, err := batch("aids", req.GetAids(), s.data.Archive)
	return &archivev1.BatchGetArchivesResponse{Archives: out}, err
}

func (s *archiveServer) ListByOwner(_ context.Context, req *archivev1.ListByOwnerRequest) (*archivev1.ListByOwnerResponse, error) {
	if err := checkPage(req.GetPage(), req.GetPs()); err != nil {
		return nil, err
	}
	aids, total := s.data.ListByOwner(req.GetMid(), int(req.GetPage()), int(req.GetPs()))
	return &archivev1.ListByOwnerResponse{Aids: aids, Total: total}, nil
}

type statServer struct {
	statv1.UnimplementedStatServiceServer
	data *dataset.Dataset
}

func (s *statServer) BatchGetStats(_ context.Context, req *statv1.BatchGetStatsRequest) (*statv1.BatchGetStatsResponse, error) {
	out, err := batch("aids", req.GetAids(), s.data.Stat)
	return &statv1.BatchGetStatsResponse{Stats: out}, err
}

type relationServer struct {
	relationv1.UnimplementedRelationServiceServer
	data *dataset.Dataset
}

func (s *relationServer) BatchGetRelations(_ context.Context, req *relationv1.BatchGetRelationsRequest) (*relationv1.BatchGetRelationsResponse, error) {
	out, err := batch("target_mids", req.GetTargetMids(), func(mid int64) (*relationv1.Relation, bool) {
		return s.data.Relation(req.GetViewerMid(), mid), s.data.HasMid(mid)
	})
	return &relationv1.BatchGetRelationsResponse{Relations: out}, err
}

func (s *relationServer) BatchGetFollowerCounts(_ context.Context, req *relationv1.BatchGetFollowerCountsRequest) (*relationv1.BatchGetFollowerCountsResponse, error) {
	out, err := batch("mids", req.GetMids(), s.data.FollowerCount)
	return &relationv1.BatchGetFollowerCountsResponse{Counts: out}, err
}

type feedServer struct {
	feedv1.UnimplementedFeedServiceServer
	data *dataset.Dataset
}

func (s *feedServer) Recommend(_ context.Context, req *feedv1.RecommendRequest) (*feedv1.RecommendResponse, error) {
	if err := checkPage(req.GetPage(), req.GetPs()); err != nil {
		return nil, err
	}
	items := s.data.Recommend(req.GetViewerMid(), req.GetDevice(), int(req.GetPage()), int(req.GetPs()))
	return &feedv1.RecommendResponse{Items: items}, nil
}

// Related answers an unknown aid with an empty list, not an error, like the
// batch methods do with unknown IDs.
func (s *feedServer) Related(_ context.Context, req *feedv1.RelatedRequest) (*feedv1.RelatedResponse, error) {
	if err := checkSize("n", req.GetN()); err != nil {
		return nil, err
	}
	return &feedv1.RelatedResponse{Aids: s.data.Related(req.GetAid(), int(req.GetN()))}, nil
}

type replyServer struct {
	replyv1.UnimplementedReplyServiceServer
	data *dataset.Dataset
}

// BatchGetHotReplies includes every known aid, with an empty list if it has
// no replies, and omits unknown aids.
func (s *replyServer) BatchGetHotReplies(_ context.Context, req *replyv1.BatchGetHotRepliesRequest) (*replyv1.BatchGetHotRepliesResponse, error) {
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
