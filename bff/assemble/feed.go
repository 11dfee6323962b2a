package assemble

import (
	"context"
	"slices"

	"mosaic/bff/scene"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	statv1 "mosaic/clients/stat/v1"
)

// FeedQuery is one page of a viewer's home feed on a device.
type FeedQuery struct {
	Viewer int64 // 0: anonymous
	Device string
	Page   int
	PS     int
}

// Feed: Recommend → (Archives ‖ Stats) → (Profiles ‖ Relations) of owners.
func (s *Service) Feed(ctx context.Context, q FeedQuery) (scene.Feed, error) {
	fl := s.flow(ctx)
	items := start(fl, critical(scene.SectionFeed), func(ctx context.Context) ([]*feedv1.Item, error) {
		return s.Recommender.Recommend(ctx, q.Viewer, q.Device, q.Page, q.PS)
	})
	archives := then(fl, critical(scene.SectionArchives), items, func(ctx context.Context, items []*feedv1.Item) (map[int64]*archivev1.Archive, error) {
		return s.Archives.Archives(ctx, itemAids(items))
	})
	stats := then(fl, optional(scene.SectionStats), items, func(ctx context.Context, items []*feedv1.Item) (map[int64]*statv1.Stat, error) {
		return s.Stats.Stats(ctx, itemAids(items))
	})
	profiles := then(fl, optional(scene.SectionOwners), archives, func(ctx context.Context, a map[int64]*archivev1.Archive) (map[int64]*accountv1.Profile, error) {
		return s.Accounts.Profiles(ctx, owners(a))
	})
	relations := then(fl, optional(scene.SectionRelation), archives, func(ctx context.Context, a map[int64]*archivev1.Archive) (map[int64]*relationv1.Relation, error) {
		return s.relations(ctx, q.Viewer, owners(a))
	})
	degraded, err := fl.wait()
	if err != nil {
		return scene.Feed{}, err
	}

	// A recommender returns ps items while its stream lasts; a short page
	// is its last. Counting the cards instead would end the feed at the
	// first page with a hidden archive in it.
	more := len(items.value()) >= q.PS
	feed := scene.Feed{Page: q.Page, PS: q.PS, More: more, Degraded: degraded, Cards: make([]scene.Card, 0, len(items.value()))}
	arcs := archives.value()
	for _, it := range items.value() {
		a, ok := arcs[it.GetAid()]
		if !ok || !visible(a) {
			continue
		}
		feed.Cards = append(feed.Cards, scene.Card{
			Archive:  a,
			Reason:   it.GetReason(),
			Stat:     stats.value()[a.GetAid()],
			Owner:    profiles.value()[a.GetOwnerMid()],
			Relation: relations.value()[a.GetOwnerMid()],
		})
	}
	return feed, nil
}

// relations skips the call for an anonymous viewer: nobody follows anyone.
func (s *Service) relations(ctx context.Context, viewer int64, targets []int64) (map[int64]*relationv1.Relation, error) {
	if viewer == 0 || len(targets) == 0 {
		return nil, nil
	}
	return s.Relations.Relations(ctx, viewer, targets)
}

// visible: an archive with state != 0 is hidden everywhere.
func visible(a *archivev1.Archive) bool { return a.GetState() == 0 }

func itemAids(items []*feedv1.Item) []int64 {
	aids := make([]int64, len(items))
	for i, it := range items {
		aids[i] = it.GetAid()
	}
	return aids
}

// owners are the uploaders of the visible archives in a.
func owners(a map[int64]*archivev1.Archive) []int64 {
	mids := make([]int64, 0, len(a))
	for _, arc := range a {
		if visible(arc) {
			mids = append(mids, arc.GetOwnerMid())
		}
	}
	slices.Sort(mids) // the same request for the same input, whatever the map order
	return mids
}
