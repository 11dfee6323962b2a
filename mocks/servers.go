package mocks

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
)

// MaxBatch is the most IDs a batch method accepts, and the largest ps or n. Like
// the real services, the mocks reject more rather than truncate, so a BFF that
// forgets to chunk fails loudly in mock mode too.
const MaxBatch = 50

func checkBatch(field string, n int) error {
	if n > MaxBatch {
		return status.Errorf(codes.InvalidArgument, "%s: %d ids exceed the batch limit of %d", field, n, MaxBatch)
	}
	return nil
}

// checkSize validates ps or n: 1..MaxBatch.
func checkSize(field string, v int32) error {
	if v < 1 || v > MaxBatch {
		return status.Errorf(codes.InvalidArgument, "%s: must be between 1 and %d, got %d", field, MaxBatch, v)
	}
	return nil
}

func checkPage(page int32) error {
	if page < 1 {
		return status.Errorf(codes.InvalidArgument, "page: must be at least 1, got %d", page)
	}
	return nil
}

// AccountServer serves account.v1.AccountService from Data.
type AccountServer struct {
	accountv1.UnimplementedAccountServiceServer
	Data *Dataset
}

func (s *AccountServer) BatchGetProfiles(_ context.Context, req *accountv1.BatchGetProfilesRequest) (*accountv1.BatchGetProfilesResponse, error) {
	if err := checkBatch("mids", len(req.GetMids())); err != nil {
		return nil, err
	}
	out := make(map[int64]*accountv1.Profile, len(req.GetMids()))
	for _, mid := range req.GetMids() {
		if p, ok := s.Data.Profile(mid); ok {
			out[mid] = p
		}
	}
	return &accountv1.BatchGetProfilesResponse{Profiles: out}, nil
}

// ArchiveServer serves archive.v1.ArchiveService from Data. Hidden archives are
// returned with their state; hiding them is the BFF's job.
type ArchiveServer struct {
	archivev1.UnimplementedArchiveServiceServer
	Data *Dataset
}

func (s *ArchiveServer) BatchGetArchives(_ context.Context, req *archivev1.BatchGetArchivesRequest) (*archivev1.BatchGetArchivesResponse, error) {
	if err := checkBatch("aids", len(req.GetAids())); err != nil {
		return nil, err
	}
	out := make(map[int64]*archivev1.Archive, len(req.GetAids()))
	for _, aid := range req.GetAids() {
		if a, ok := s.Data.Archive(aid); ok {
			out[aid] = a
		}
	}
	return &archivev1.BatchGetArchivesResponse{Archives: out}, nil
}

func (s *ArchiveServer) ListByOwner(_ context.Context, req *archivev1.ListByOwnerRequest) (*archivev1.ListByOwnerResponse, error) {
	if err := checkPage(req.GetPage()); err != nil {
		return nil, err
	}
	if err := checkSize("ps", req.GetPs()); err != nil {
		return nil, err
	}
	aids, total := s.Data.ListByOwner(req.GetMid(), int(req.GetPage()), int(req.GetPs()))
	return &archivev1.ListByOwnerResponse{Aids: aids, Total: total}, nil
}

// StatServer serves stat.v1.StatService from Data.
type StatServer struct {
	statv1.UnimplementedStatServiceServer
	Data *Dataset
}

func (s *StatServer) BatchGetStats(_ context.Context, req *statv1.BatchGetStatsRequest) (*statv1.BatchGetStatsResponse, error) {
	if err := checkBatch("aids", len(req.GetAids())); err != nil {
		return nil, err
	}
	out := make(map[int64]*statv1.Stat, len(req.GetAids()))
	for _, aid := range req.GetAids() {
		if st, ok := s.Data.Stat(aid); ok {
			out[aid] = st
		}
	}
	return &statv1.BatchGetStatsResponse{Stats: out}, nil
}

// RelationServer serves relation.v1.RelationService from Data.
type RelationServer struct {
	relationv1.UnimplementedRelationServiceServer
	Data *Dataset
}

func (s *RelationServer) BatchGetRelations(_ context.Context, req *relationv1.BatchGetRelationsRequest) (*relationv1.BatchGetRelationsResponse, error) {
	if err := checkBatch("target_mids", len(req.GetTargetMids())); err != nil {
		return nil, err
	}
	out := make(map[int64]*relationv1.Relation, len(req.GetTargetMids()))
	for _, mid := range req.GetTargetMids() {
		if s.Data.hasMid(mid) {
			out[mid] = s.Data.Relation(req.GetViewerMid(), mid)
		}
	}
	return &relationv1.BatchGetRelationsResponse{Relations: out}, nil
}

func (s *RelationServer) BatchGetFollowerCounts(_ context.Context, req *relationv1.BatchGetFollowerCountsRequest) (*relationv1.BatchGetFollowerCountsResponse, error) {
	if err := checkBatch("mids", len(req.GetMids())); err != nil {
		return nil, err
	}
	out := make(map[int64]*relationv1.FollowerCount, len(req.GetMids()))
	for _, mid := range req.GetMids() {
		if c, ok := s.Data.FollowerCount(mid); ok {
			out[mid] = c
		}
	}
	return &relationv1.BatchGetFollowerCountsResponse{Counts: out}, nil
}

// FeedServer serves feed.v1.FeedService from Data.
type FeedServer struct {
	feedv1.UnimplementedFeedServiceServer
	Data *Dataset
}

func (s *FeedServer) Recommend(_ context.Context, req *feedv1.RecommendRequest) (*feedv1.RecommendResponse, error) {
	if err := checkPage(req.GetPage()); err != nil {
		return nil, err
	}
	if err := checkSize("ps", req.GetPs()); err != nil {
		return nil, err
	}
	items := s.Data.Recommend(req.GetViewerMid(), req.GetDevice(), int(req.GetPage()), int(req.GetPs()))
	return &feedv1.RecommendResponse{Items: items}, nil
}

// Related answers an unknown aid with an empty list, not an error, like the batch
// methods do with unknown IDs.
func (s *FeedServer) Related(_ context.Context, req *feedv1.RelatedRequest) (*feedv1.RelatedResponse, error) {
	if err := checkSize("n", req.GetN()); err != nil {
		return nil, err
	}
	return &feedv1.RelatedResponse{Aids: s.Data.Related(req.GetAid(), int(req.GetN()))}, nil
}

// ReplyServer serves reply.v1.ReplyService from Data.
type ReplyServer struct {
	replyv1.UnimplementedReplyServiceServer
	Data *Dataset
}

// BatchGetHotReplies includes every known aid, with an empty list if it has no
// replies, and omits unknown aids.
func (s *ReplyServer) BatchGetHotReplies(_ context.Context, req *replyv1.BatchGetHotRepliesRequest) (*replyv1.BatchGetHotRepliesResponse, error) {
	if err := checkBatch("aids", len(req.GetAids())); err != nil {
		return nil, err
	}
	if err := checkSize("n", req.GetN()); err != nil {
		return nil, err
	}
	out := make(map[int64]*replyv1.Replies, len(req.GetAids()))
	for _, aid := range req.GetAids() {
		if s.Data.archive(aid) != nil {
			out[aid] = &replyv1.Replies{Replies: s.Data.HotReplies(aid, int(req.GetN()))}
		}
	}
	return &replyv1.BatchGetHotRepliesResponse{Replies: out}, nil
}
