package assemble

import (
	"context"
	"fmt"

	"mosaic/bff/scene"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
)

// VideoQuery asks for one video page. Related and Replies are how many
// related videos and hot replies the device shows.
type VideoQuery struct {
	Viewer  int64
	Aid     int64
	Related int
	Replies int
}

// Video: (Related ‖ HotReplies) → (Archives ‖ Stats) of the video and its
// related → (Profiles of owner, repliers and related owners ‖ Relation to
// owner). When the video's archive is fresh in memory, the Relation to its
// owner starts at once instead (videoRelation).
func (s *Service) Video(ctx context.Context, q VideoQuery) (scene.Video, error) {
	fl := s.flow(ctx)
	// The video's archive (critical) waits for Related (optional), to
	// travel in one batch with the related videos: Related gives up in
	// time for that call to have its whole timeout.
	related := start(fl, optional(scene.SectionRelated), func(ctx context.Context) ([]int64, error) {
		ctx, cancel := s.leaveRoom(ctx)
		defer cancel()
		return s.Recommender.Related(ctx, q.Aid, q.Related)
	})
	replies := start(fl, optional(scene.SectionReplies), func(ctx context.Context) (map[int64][]*replyv1.Reply, error) {
		return s.Replies.HotReplies(ctx, []int64{q.Aid}, q.Replies)
	})
	// The video and its related travel in one batch; without related
	// videos (degraded) the batch is the video alone.
	batch := func(related []int64) []int64 { return append([]int64{q.Aid}, related...) }
	archives := after(fl, critical(scene.SectionArchive), related, func(ctx context.Context, rel []int64, _ error) (map[int64]*archivev1.Archive, error) {
		a, err := s.Archives.Archives(ctx, batch(rel))
		if v, ok := a[q.Aid]; err == nil && (!ok || !visible(v)) {
			return nil, fmt.Errorf("video %d: %w", q.Aid, ErrNotFound)
		}
		return a, err
	})
	stats := after(fl, optional(scene.SectionStats), related, func(ctx context.Context, rel []int64, _ error) (map[int64]*statv1.Stat, error) {
		return s.Stats.Stats(ctx, batch(rel))
	})
	// Repliers' profiles ride in the owners' batch; without replies
	// (degraded) it is the owners alone.
	profiles := after2(fl, optional(scene.SectionOwners), archives, replies, func(ctx context.Context, a map[int64]*archivev1.Archive, aerr error, r map[int64][]*replyv1.Reply, _ error) (map[int64]*accountv1.Profile, error) {
		if aerr != nil {
			return nil, aerr
		}
		mids := owners(a)
		for _, rp := range r[q.Aid] {
			mids = append(mids, rp.GetMid())
		}
		return s.Accounts.Profiles(ctx, mids)
	})
	relation := s.videoRelation(ctx, fl, q, archives)
	degraded, err := fl.wait()
	if err != nil {
		return scene.Video{}, err
	}

	arcs, st, prof := archives.value(), stats.value(), profiles.value()
	card := func(a *archivev1.Archive) scene.Card {
		return scene.Card{Archive: a, Stat: st[a.GetAid()], Owner: prof[a.GetOwnerMid()]}
	}
	v := scene.Video{Card: card(arcs[q.Aid]), Degraded: degraded}
	v.Relation = relation.value()[v.Archive.GetOwnerMid()]
	for _, aid := range related.value() {
		if a, ok := arcs[aid]; ok && visible(a) && aid != q.Aid {
			v.Related = append(v.Related, card(a))
		}
	}
	for _, r := range replies.value()[q.Aid] {
		v.Replies = append(v.Replies, scene.Reply{Reply: r, Member: prof[r.GetMid()]})
	}
	return v, nil
}

// videoRelation is the viewer's relation to the video's owner. The owner is
// in the video's archive: when that is fresh in the cache, the owner is
// known before any call and the relation starts with the flow, in parallel
// with Related; otherwise it waits for the archives batch. The owner's
// profile is not started early: it rides in the batch with the related
// owners' and the repliers', which waits for Related anyway, and asking
// for it alone would be one more call on a cache miss.
func (s *Service) videoRelation(ctx context.Context, fl *flow, q VideoQuery, archives *future[map[int64]*archivev1.Archive]) *future[map[int64]*relationv1.Relation] {
	if a, ok := s.Archives.Peek(ctx, []int64{q.Aid}); ok && a[q.Aid] != nil && visible(a[q.Aid]) {
		owner := a[q.Aid].GetOwnerMid()
		return start(fl, optional(scene.SectionRelation), func(ctx context.Context) (map[int64]*relationv1.Relation, error) {
			return s.relations(ctx, q.Viewer, []int64{owner})
		})
	}
	return then(fl, optional(scene.SectionRelation), archives, func(ctx context.Context, a map[int64]*archivev1.Archive) (map[int64]*relationv1.Relation, error) {
		return s.relations(ctx, q.Viewer, []int64{a[q.Aid].GetOwnerMid()})
	})
}
