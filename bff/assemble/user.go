package assemble

import (
	"context"
	"fmt"

	"mosaic/bff/scene"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	statv1 "mosaic/clients/stat/v1"
)

// UserQuery asks for one page of a user's space.
type UserQuery struct {
	Viewer int64
	Mid    int64
	Page   int
	PS     int
}

// User: (Profile ‖ FollowerCounts ‖ Relation ‖ ListByOwner) → (Archives ‖ Stats).
func (s *Service) User(ctx context.Context, q UserQuery) (scene.User, error) {
	fl := s.flow(ctx)
	profile := start(fl, critical(scene.SectionProfile), func(ctx context.Context) (*accountv1.Profile, error) {
		p, err := s.Accounts.Profiles(ctx, []int64{q.Mid})
		if err == nil && p[q.Mid] == nil {
			return nil, fmt.Errorf("user %d: %w", q.Mid, ErrNotFound)
		}
		return p[q.Mid], err
	})
	counts := start(fl, optional(scene.SectionCounts), func(ctx context.Context) (*relationv1.FollowerCount, error) {
		c, err := s.Relations.FollowerCounts(ctx, []int64{q.Mid})
		return c[q.Mid], err
	})
	relation := start(fl, optional(scene.SectionRelation), func(ctx context.Context) (*relationv1.Relation, error) {
		r, err := s.relations(ctx, q.Viewer, []int64{q.Mid})
		return r[q.Mid], err
	})
	type page struct {
		aids  []int64
		total int64
	}
	list := start(fl, optional(scene.SectionArchives), func(ctx context.Context) (page, error) {
		aids, total, err := s.Archives.ListByOwner(ctx, q.Mid, q.Page, q.PS)
		return page{aids, total}, err
	})
	archives := then(fl, optional(scene.SectionArchives), list, func(ctx context.Context, p page) (map[int64]*archivev1.Archive, error) {
		return s.Archives.Archives(ctx, p.aids)
	})
	stats := then(fl, optional(scene.SectionStats), list, func(ctx context.Context, p page) (map[int64]*statv1.Stat, error) {
		return s.Stats.Stats(ctx, p.aids)
	})
	degraded, err := fl.wait()
	if err != nil {
		return scene.User{}, err
	}

	u := scene.User{
		Profile: profile.value(), Counts: counts.value(), Relation: relation.value(),
		Page: q.Page, PS: q.PS, Degraded: degraded,
	}
	// The count goes with the uploads it counts: when they are left out
	// (the list, or only the archives after it, failed), the count is not
	// shown, so that no client pages on towards a page it could not load.
	if !leftOut(degraded, scene.SectionArchives) {
		u.Total = list.value().total
		u.More = more(q.Page, q.PS, u.Total)
	}
	arcs, st := archives.value(), stats.value()
	for _, aid := range list.value().aids {
		if a, ok := arcs[aid]; ok && visible(a) {
			u.Archives = append(u.Archives, scene.Card{Archive: a, Stat: st[aid], Owner: u.Profile, Relation: u.Relation})
		}
	}
	return u, nil
}

// more reports whether uploads exist past page, by the archive service's
// count of them (hidden ones included). It reads the count, not what the
// page listed or kept: a hidden upload, or a listing the service cut short,
// on this page says nothing about the next.
func more(page, ps int, total int64) bool {
	return int64(page)*int64(ps) < total
}

// leftOut reports whether section is listed as degraded for a reason that
// leaves it out (anything but stale, which shows it).
func leftOut(degraded []scene.Degraded, section string) bool {
	for _, d := range degraded {
		if d.Section == section && d.Reason != scene.ReasonStale {
			return true
		}
	}
	return false
}
