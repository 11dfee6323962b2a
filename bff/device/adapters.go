package device

import (
	"mosaic/bff/scene"
	"mosaic/dto"
)

// Adapters are what a device says about the parts every scene is made of: a
// card, a hot reply, a user's header. The scene bodies are built from them
// the same way for every device, so a device package writes only those
// three (and each may be a shared one, such as NativeReply).
type Adapters[C, R, U any] struct {
	Card   func(scene.Card, View) C
	Reply  func(scene.Reply, View) R
	Header func(scene.User, View) U
}

// Feed is the body of GET /{device}/v1/feed.
func (a Adapters[C, R, U]) Feed(f scene.Feed, v View) dto.Feed[C] {
	return dto.Feed[C]{Paging: dto.Paging{Page: f.Page, PageSize: f.PS}, Cards: mapSlice(f.Cards, v, a.Card), HasMore: f.More, Degraded: Degraded(f.Degraded)}
}

// Video is the body of GET /{device}/v1/videos/{aid}.
func (a Adapters[C, R, U]) Video(s scene.Video, v View) dto.Video[C, R] {
	return dto.Video[C, R]{
		Video:    a.Card(s.Card, v),
		Related:  mapSlice(s.Related, v, a.Card),
		Replies:  mapSlice(s.Replies, v, a.Reply),
		Degraded: Degraded(s.Degraded),
	}
}

// User is the body of GET /{device}/v1/users/{mid}.
func (a Adapters[C, R, U]) User(s scene.User, v View) dto.User[U, C] {
	return dto.User[U, C]{
		User:     a.Header(s, v),
		Paging:   dto.Paging{Page: s.Page, PageSize: s.PS},
		Total:    s.Total,
		Archives: mapSlice(s.Archives, v, a.Card),
		HasMore:  s.More,
		Degraded: Degraded(s.Degraded),
	}
}

// Builds are the adapters of a device whose old builds parse another card:
// Legacy for builds below LegacyBuild, Current for every other (View.Legacy).
type Builds[C, L, R, U any] struct {
	Current Adapters[C, R, U]
	Legacy  Adapters[L, R, U]
}

// Feed is the feed in the card the build parses.
func (b Builds[C, L, R, U]) Feed(f scene.Feed, v View) dto.ByBuild[dto.Feed[C], dto.Feed[L]] {
	return byBuild(f, v, b.Current.Feed, b.Legacy.Feed)
}

// Video is the video page in the card the build parses.
func (b Builds[C, L, R, U]) Video(s scene.Video, v View) dto.ByBuild[dto.Video[C, R], dto.Video[L, R]] {
	return byBuild(s, v, b.Current.Video, b.Legacy.Video)
}

// User is the user page in the card the build parses.
func (b Builds[C, L, R, U]) User(s scene.User, v View) dto.ByBuild[dto.User[U, C], dto.User[U, L]] {
	return byBuild(s, v, b.Current.User, b.Legacy.User)
}

func byBuild[S, C, L any](s S, v View, current func(S, View) C, legacy func(S, View) L) dto.ByBuild[C, L] {
	if v.Legacy() {
		l := legacy(s, v)
		return dto.ByBuild[C, L]{Legacy: &l}
	}
	return dto.ByBuild[C, L]{Current: current(s, v)}
}

// mapSlice adapts each item; never nil, so lists encode as [] not null.
func mapSlice[In, Out any](in []In, v View, fn func(In, View) Out) []Out {
	out := make([]Out, len(in))
	for i, x := range in {
		out[i] = fn(x, v)
	}
	return out
}

// Adapt makes the adapters of a device from its three.
func Adapt[C, R, U any](card func(scene.Card, View) C, reply func(scene.Reply, View) R, header func(scene.User, View) U) Adapters[C, R, U] {
	return Adapters[C, R, U]{Card: card, Reply: reply, Header: header}
}

// Native makes the adapters of a native app (app, pad): its own card, with
// the replies and the user header both native apps show (NativeReply,
// NativeUser).
func Native[C any](card func(scene.Card, View) C) Adapters[C, dto.NativeReply, dto.NativeUser] {
	return Adapt(card, NativeReply, NativeUser)
}

// ByBuild makes the adapters of a device whose builds below LegacyBuild
// parse another card.
func ByBuild[C, L, R, U any](current Adapters[C, R, U], legacy Adapters[L, R, U]) Builds[C, L, R, U] {
	return Builds[C, L, R, U]{Current: current, Legacy: legacy}
}
