// Package floor is the floor BFF that bffctl bench measures mosaic
// against: the unavoidable cost. The same batched calls in the same
// dataflow as bff/assemble, written with errgroup straight over the generated
// gRPC stubs, encoded with encoding/json (package reference). No router,
// no middleware, no device adaptation, no metrics, no resilience.
package floor

import (
	"context"
	"slices"

	"golang.org/x/sync/errgroup"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/bench/reference"
)

// BFF is the floor over the downstreams' stubs.
type BFF struct{ s *reference.Stubs }

// New is the floor BFF calling s.
func New(s *reference.Stubs) *BFF { return &BFF{s: s} }

// into makes call in g and keeps its result in dst, as the downstream
// answered it whether or not it failed, then closes done: what waits on
// done reads dst.
func into[T any](g *errgroup.Group, dst *T, call func() (T, error), done ...chan struct{}) {
	g.Go(func() error {
		v, err := call()
		*dst = v
		for _, c := range done {
			close(c)
		}
		return err
	})
}

// Feed: Recommend → (Archives ‖ Stats) → (Profiles ‖ Relations) of
// owners; Profiles and Relations start as soon as Archives answers.
func (b *BFF) Feed(ctx context.Context, q reference.Query) (reference.Feed, error) {
	items, err := b.s.Recommend(ctx, q)
	if err != nil {
		return reference.Feed{}, err
	}
	aids := reference.Aids(items)
	f := &reference.Fetched{}
	g, gctx := errgroup.WithContext(ctx)
	into(g, &f.Stats, func() (map[int64]*statv1.Stat, error) { return b.s.Stats(gctx, aids) })
	g.Go(func() error {
		arcs, err := b.s.Archives(gctx, aids)
		if err != nil {
			return err
		}
		f.Archives = arcs
		if owners := reference.VisibleOwners(arcs); len(owners) > 0 {
			into(g, &f.Profiles, func() (map[int64]*accountv1.Profile, error) { return b.s.Profiles(gctx, owners) })
			b.relations(gctx, g, f, q.Viewer, owners)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return reference.Feed{}, err
	}
	return f.FeedBody(q.Page, q.PS, items), nil
}

// relations fetches, in g, the viewer's relations to targets, if there
// is a viewer.
func (b *BFF) relations(ctx context.Context, g *errgroup.Group, f *reference.Fetched, viewer int64, targets []int64) {
	if viewer != 0 {
		into(g, &f.Relations, func() (map[int64]*relationv1.Relation, error) { return b.s.Relations(ctx, viewer, targets) })
	}
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
	into(g, &related, func() ([]int64, error) { return b.s.Related(gctx, aid) }, relDone)
	into(g, &replies, func() ([]*replyv1.Reply, error) { return b.s.HotReplies(gctx, aid) }, repDone)
	into(g, &f.Stats, func() (map[int64]*statv1.Stat, error) { return b.s.Stats(gctx, batch()) })
	g.Go(func() error {
		arcs, err := b.s.Archives(gctx, batch())
		if err != nil {
			return err
		}
		f.Archives = arcs
		video := arcs[aid]
		if !reference.VisibleArchive(video) {
			return reference.ErrNotFound
		}
		// The repliers join the owners once HotReplies answered.
		into(g, &f.Profiles, func() (map[int64]*accountv1.Profile, error) {
			mids := reference.VisibleOwners(arcs)
			<-repDone
			for _, r := range replies {
				mids = append(mids, r.GetMid())
			}
			slices.Sort(mids)
			return b.s.Profiles(gctx, slices.Compact(mids))
		})
		b.relations(gctx, g, f, q.Viewer, []int64{video.GetOwnerMid()})
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
	into(g, &f.Profiles, func() (map[int64]*accountv1.Profile, error) { return b.s.Profiles(gctx, []int64{mid}) })
	into(g, &counts, func() (*relationv1.FollowerCount, error) { return b.s.FollowerCount(gctx, mid) })
	b.relations(gctx, g, f, q.Viewer, []int64{mid})
	g.Go(func() error {
		var err error
		if aids, total, err = b.s.Uploads(gctx, mid, q); err != nil || len(aids) == 0 {
			return err
		}
		into(g, &f.Archives, func() (map[int64]*archivev1.Archive, error) { return b.s.Archives(gctx, aids) })
		into(g, &f.Stats, func() (map[int64]*statv1.Stat, error) { return b.s.Stats(gctx, aids) })
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
