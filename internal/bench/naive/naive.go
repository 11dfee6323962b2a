// Package naive is the N+1 BFF that bffctl bench measures mosaic against:
// the same scenes and the same JSON as the floor (package reference), but
// it loops over the items and calls the downstreams once per item, one
// call after the other, so its calls grow with the page size.
package naive

import (
	"context"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/bench/reference"
)

// BFF is the naive BFF over the downstreams' stubs.
type BFF struct{ s *reference.Stubs }

// New is the naive BFF calling s.
func New(s *reference.Stubs) *BFF { return &BFF{s: s} }

func (b *BFF) archive(ctx context.Context, f *reference.Fetched, aid int64) error {
	resp, err := b.s.Archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: []int64{aid}})
	if a := resp.GetArchives()[aid]; a != nil {
		f.Archives[aid] = a
	}
	return err
}

func (b *BFF) stat(ctx context.Context, f *reference.Fetched, aid int64) error {
	resp, err := b.s.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: []int64{aid}})
	if s := resp.GetStats()[aid]; s != nil {
		f.Stats[aid] = s
	}
	return err
}

func (b *BFF) profile(ctx context.Context, f *reference.Fetched, mid int64) error {
	resp, err := b.s.Account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: []int64{mid}})
	if p := resp.GetProfiles()[mid]; p != nil {
		f.Profiles[mid] = p
	}
	return err
}

func (b *BFF) relation(ctx context.Context, f *reference.Fetched, viewer, mid int64) error {
	if viewer == 0 {
		return nil
	}
	resp, err := b.s.Relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: viewer, TargetMids: []int64{mid}})
	if r := resp.GetRelations()[mid]; r != nil {
		f.Relations[mid] = r
	}
	return err
}

// owner is what a card fetches of its owner: nothing, the profile, or the
// profile and the viewer's relation to the owner.
type owner struct {
	profile bool
	viewer  int64 // 0: no relation
}

// cards fetches, one call after the other and item by item, each archive
// and, for a visible one, its stat and what o asks of its owner.
func (b *BFF) cards(ctx context.Context, f *reference.Fetched, aids []int64, o owner) error {
	for _, aid := range aids {
		if err := b.archive(ctx, f, aid); err != nil {
			return err
		}
		a := f.Archives[aid]
		if !reference.VisibleArchive(a) {
			continue
		}
		if err := b.stat(ctx, f, aid); err != nil {
			return err
		}
		if err := b.owner(ctx, f, a.GetOwnerMid(), o); err != nil {
			return err
		}
	}
	return nil
}

func (b *BFF) owner(ctx context.Context, f *reference.Fetched, mid int64, o owner) error {
	if !o.profile {
		return nil
	}
	if err := b.profile(ctx, f, mid); err != nil {
		return err
	}
	return b.relation(ctx, f, o.viewer, mid)
}

// Feed: Recommend, then each item's archive, stat, owner and relation.
func (b *BFF) Feed(ctx context.Context, q reference.Query) (reference.Feed, error) {
	rec, err := b.s.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: q.Viewer, Device: q.Device, Page: int32(q.Page), Ps: int32(q.PS)})
	if err != nil {
		return reference.Feed{}, err
	}
	aids := make([]int64, len(rec.GetItems()))
	for i, it := range rec.GetItems() {
		aids[i] = it.GetAid()
	}
	f := reference.NewFetched()
	if err := b.cards(ctx, f, aids, owner{profile: true, viewer: q.Viewer}); err != nil {
		return reference.Feed{}, err
	}
	return f.FeedBody(q.Page, q.PS, rec.GetItems()), nil
}

// Video: the video, Related, HotReplies, the video's stat, owner and
// relation, then each related card, then each replier's profile.
func (b *BFF) Video(ctx context.Context, q reference.Query) (reference.Video, error) {
	aid := q.ID
	f := reference.NewFetched()
	if err := b.archive(ctx, f, aid); err != nil {
		return reference.Video{}, err
	}
	video := f.Archives[aid]
	if !reference.VisibleArchive(video) {
		return reference.Video{}, reference.ErrNotFound
	}
	rel, err := b.s.Feed.Related(ctx, &feedv1.RelatedRequest{Aid: aid, N: reference.Related})
	if err != nil {
		return reference.Video{}, err
	}
	rep, err := b.s.Reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: []int64{aid}, N: reference.Replies})
	if err != nil {
		return reference.Video{}, err
	}
	replies := rep.GetReplies()[aid].GetReplies()
	if err := b.videoParts(ctx, f, video, q.Viewer, rel.GetAids(), replies); err != nil {
		return reference.Video{}, err
	}
	return f.VideoBody(aid, rel.GetAids(), replies), nil
}

// videoParts fetches what the video page shows beyond the video's archive.
// The video's relation is to its owner only; related cards show none.
func (b *BFF) videoParts(ctx context.Context, f *reference.Fetched, video *archivev1.Archive, viewer int64, related []int64, replies []*replyv1.Reply) error {
	if err := b.stat(ctx, f, video.GetAid()); err != nil {
		return err
	}
	if err := b.owner(ctx, f, video.GetOwnerMid(), owner{profile: true, viewer: viewer}); err != nil {
		return err
	}
	if err := b.cards(ctx, f, related, owner{profile: true}); err != nil {
		return err
	}
	for _, r := range replies {
		if err := b.profile(ctx, f, r.GetMid()); err != nil {
			return err
		}
	}
	return nil
}

// User: the profile, FollowerCounts, the relation, ListByOwner, then each
// upload's archive and stat.
func (b *BFF) User(ctx context.Context, q reference.Query) (reference.User, error) {
	mid := q.ID
	f := reference.NewFetched()
	if err := b.profile(ctx, f, mid); err != nil {
		return reference.User{}, err
	}
	if f.Profiles[mid] == nil {
		return reference.User{}, reference.ErrNotFound
	}
	cnt, err := b.s.Relation.BatchGetFollowerCounts(ctx, &relationv1.BatchGetFollowerCountsRequest{Mids: []int64{mid}})
	if err != nil {
		return reference.User{}, err
	}
	if err := b.relation(ctx, f, q.Viewer, mid); err != nil {
		return reference.User{}, err
	}
	list, err := b.s.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: mid, Page: int32(q.Page), Ps: int32(q.PS)})
	if err != nil {
		return reference.User{}, err
	}
	if err := b.cards(ctx, f, list.GetAids(), owner{}); err != nil {
		return reference.User{}, err
	}
	return f.UserBody(mid, q.Page, q.PS, cnt.GetCounts()[mid], list.GetAids(), list.GetTotal()), nil
}
