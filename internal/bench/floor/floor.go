// Package floor is the floor BFF that bffctl bench measures mosaic
// against: the unavoidable cost. The same batched calls in the same
// dataflow as bff/scene, written with errgroup straight over the generated
// gRPC stubs, encoded with encoding/json (package reference). No router,
// no middleware, no device adaptation, no metrics, no resilience.
package floor

import (
	"context"
	"slices"

	"golang.org/x/sync/errgroup"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/bench/reference"
)

// BFF is the floor over the downstreams' stubs.
type BFF struct{ s *reference.Stubs }

// New is the floor BFF calling s.
func New(s *reference.Stubs) *BFF { return &BFF{s: s} }

// Feed: Recommend → (Archives ‖ Stats) → (Profiles ‖ Relations) of
// owners; Profiles and Relations start as soon as Archives answers.
func (b *BFF) Feed(ctx context.Context, q reference.Query) (reference.Feed, error) {
	rec, err := b.s.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: q.Viewer, Device: q.Device, Page: int32(q.Page), Ps: int32(q.PS)})
	if err != nil {
		return reference.Feed{}, err
	}
	items := rec.GetItems()
	aids := make([]int64, len(items))
	for i, it := range items {
		aids[i] = it.GetAid()
	}
	f := &reference.Fetched{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		resp, err := b.s.Stat.BatchGetStats(gctx, &statv1.BatchGetStatsRequest{Aids: aids})
		f.Stats = resp.GetStats()
		return err
	})
	g.Go(func() error {
		resp, err := b.s.Archive.BatchGetArchives(gctx, &archivev1.BatchGetArchivesRequest{Aids: aids})
		if err != nil {
			return err
		}
		f.Archives = resp.GetArchives()
		owners := reference.VisibleOwners(f.Archives)
		if len(owners) == 0 {
			return nil
		}
		g.Go(func() error {
			resp, err := b.s.Account.BatchGetProfiles(gctx, &accountv1.BatchGetProfilesRequest{Mids: owners})
			f.Profiles = resp.GetProfiles()
			return err
		})
		if q.Viewer != 0 {
			g.Go(func() error {
				resp, err := b.s.Relation.BatchGetRelations(gctx, &relationv1.BatchGetRelationsRequest{ViewerMid: q.Viewer, TargetMids: owners})
				f.Relations = resp.GetRelations()
				return err
			})
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return reference.Feed{}, err
	}
	return f.FeedBody(q.Page, q.PS, items), nil
}

// Video: (Related ‖ HotReplies) → (Archives ‖ Stats) of the video and
// its related → (Profiles of owners and repliers ‖ Relation to the owner).
func (b *BFF) Video(ctx context.Context, q reference.Query) (reference.Video, error) {
	aid := q.ID
	f := &reference.Fetched{}
	var (
		related          []int64
		replies          []*replyv1.Reply
		relDone, repDone = make(chan struct{}), make(chan struct{})
	)
	// The video and its related travel in one batch, once Related answered.
	batch := func() []int64 {
		<-relDone
		return append([]int64{aid}, related...)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(relDone)
		resp, err := b.s.Feed.Related(gctx, &feedv1.RelatedRequest{Aid: aid, N: reference.Related})
		related = resp.GetAids()
		return err
	})
	g.Go(func() error {
		defer close(repDone)
		resp, err := b.s.Reply.BatchGetHotReplies(gctx, &replyv1.BatchGetHotRepliesRequest{Aids: []int64{aid}, N: reference.Replies})
		replies = resp.GetReplies()[aid].GetReplies()
		return err
	})
	g.Go(func() error {
		resp, err := b.s.Stat.BatchGetStats(gctx, &statv1.BatchGetStatsRequest{Aids: batch()})
		f.Stats = resp.GetStats()
		return err
	})
	g.Go(func() error {
		resp, err := b.s.Archive.BatchGetArchives(gctx, &archivev1.BatchGetArchivesRequest{Aids: batch()})
		if err != nil {
			return err
		}
		f.Archives = resp.GetArchives()
		video := f.Archives[aid]
		if !reference.VisibleArchive(video) {
			return reference.ErrNotFound
		}
		g.Go(func() error {
			mids := reference.VisibleOwners(f.Archives)
			<-repDone
			for _, r := range replies {
				mids = append(mids, r.GetMid())
			}
			slices.Sort(mids)
			resp, err := b.s.Account.BatchGetProfiles(gctx, &accountv1.BatchGetProfilesRequest{Mids: slices.Compact(mids)})
			f.Profiles = resp.GetProfiles()
			return err
		})
		if q.Viewer != 0 {
			g.Go(func() error {
				resp, err := b.s.Relation.BatchGetRelations(gctx, &relationv1.BatchGetRelationsRequest{ViewerMid: q.Viewer, TargetMids: []int64{video.GetOwnerMid()}})
				f.Relations = resp.GetRelations()
				return err
			})
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return reference.Video{}, err
	}
	return f.VideoBody(aid, related, replies), nil
}

// User: (Profile ‖ FollowerCounts ‖ Relation ‖ ListByOwner) →
// (Archives ‖ Stats).
func (b *BFF) User(ctx context.Context, q reference.Query) (reference.User, error) {
	var (
		f      = &reference.Fetched{}
		counts *relationv1.FollowerCount
		aids   []int64
		total  int64
		mid    = q.ID
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		resp, err := b.s.Account.BatchGetProfiles(gctx, &accountv1.BatchGetProfilesRequest{Mids: []int64{mid}})
		f.Profiles = resp.GetProfiles()
		return err
	})
	g.Go(func() error {
		resp, err := b.s.Relation.BatchGetFollowerCounts(gctx, &relationv1.BatchGetFollowerCountsRequest{Mids: []int64{mid}})
		counts = resp.GetCounts()[mid]
		return err
	})
	if q.Viewer != 0 {
		g.Go(func() error {
			resp, err := b.s.Relation.BatchGetRelations(gctx, &relationv1.BatchGetRelationsRequest{ViewerMid: q.Viewer, TargetMids: []int64{mid}})
			f.Relations = resp.GetRelations()
			return err
		})
	}
	g.Go(func() error {
		resp, err := b.s.Archive.ListByOwner(gctx, &archivev1.ListByOwnerRequest{Mid: mid, Page: int32(q.Page), Ps: int32(q.PS)})
		if err != nil {
			return err
		}
		aids, total = resp.GetAids(), resp.GetTotal()
		if len(aids) == 0 {
			return nil
		}
		g.Go(func() error {
			resp, err := b.s.Archive.BatchGetArchives(gctx, &archivev1.BatchGetArchivesRequest{Aids: aids})
			f.Archives = resp.GetArchives()
			return err
		})
		g.Go(func() error {
			resp, err := b.s.Stat.BatchGetStats(gctx, &statv1.BatchGetStatsRequest{Aids: aids})
			f.Stats = resp.GetStats()
			return err
		})
		return nil
	})
	if err := g.Wait(); err != nil {
		return reference.User{}, err
	}
	if f.Profiles[mid] == nil {
		return reference.User{}, reference.ErrNotFound
	}
	return f.UserBody(mid, q.Page, q.PS, counts, aids, total), nil
}
