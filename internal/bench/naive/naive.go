// Package naive is the N+1 BFF that bffctl bench measures mosaic against:
// the same scenes and the same JSON as the floor (package reference), but
// it loops over the items and calls the downstreams once per item, one
// call after the other, so its calls grow with the page size.
package naive

import (
	"context"

	archivev1 "mosaic/clients/archive/v1"
	replyv1 "mosaic/clients/reply/v1"
	"mosaic/internal/bench/reference"
)

// BFF is the naive BFF over the downstreams' stubs.
type BFF struct{ s *reference.Stubs }

// New is the naive BFF calling s.
func New(s *reference.Stubs) *BFF { return &BFF{s: s} }

// one keeps the entry for id of a one-item batch's answer, if there is one.
func one[T any](into map[int64]*T, id int64) func(map[int64]*T, error) error {
	return func(got map[int64]*T, err error) error {
		if v := got[id]; v != nil {
			into[id] = v
		}
		return err
	}
}

func (b *BFF) archive(ctx context.Context, f *reference.Fetched, aid int64) error {
	return one(f.Archives, aid)(b.s.Archives(ctx, []int64{aid}))
}

func (b *BFF) stat(ctx context.Context, f *reference.Fetched, aid int64) error {
	return one(f.Stats, aid)(b.s.Stats(ctx, []int64{aid}))
}

func (b *BFF) profile(ctx context.Context, f *reference.Fetched, mid int64) error {
	return one(f.Profiles, mid)(b.s.Profiles(ctx, []int64{mid}))
}

func (b *BFF) relation(ctx context.Context, f *reference.Fetched, viewer, mid int64) error {
	if viewer == 0 {
		return nil
	}
	return one(f.Relations, mid)(b.s.Relations(ctx, viewer, []int64{mid}))
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
	items, err := b.s.Recommend(ctx, q)
	if err != nil {
		return reference.Feed{}, err
	}
	aids := reference.Aids(items)
	f := reference.NewFetched()
	if err := b.cards(ctx, f, aids, owner{profile: true, viewer: q.Viewer}); err != nil {
		return reference.Feed{}, err
	}
	return f.FeedBody(q.Page, q.PS, items), nil
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
	related, err := b.s.Related(ctx, aid)
	if err != nil {
		return reference.Video{}, err
	}
	replies, err := b.s.HotReplies(ctx, aid)
	if err != nil {
		return reference.Video{}, err
	}
	if err := b.videoParts(ctx, f, video, q.Viewer, related, replies); err != nil {
		return reference.Video{}, err
	}
	return f.VideoBody(aid, related, replies), nil
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
	counts, err := b.s.FollowerCount(ctx, mid)
	if err != nil {
		return reference.User{}, err
	}
	if err := b.relation(ctx, f, q.Viewer, mid); err != nil {
		return reference.User{}, err
	}
	aids, total, err := b.s.Uploads(ctx, mid, q)
	if err != nil {
		return reference.User{}, err
	}
	if err := b.cards(ctx, f, aids, owner{}); err != nil {
		return reference.User{}, err
	}
	return f.UserBody(mid, q.Page, q.PS, counts, aids, total), nil
}
