package reference

import (
	"errors"
	"slices"
	"time"

	"mosaic/bff/request"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/dto"
)

// The JSON the reference BFFs answer: mosaic's web types (dto), filled
// straight from the downstream messages, without mosaic's image-URL and
// number adaptation; URLs go through dto.SafeURL, the only way to fill a
// dto.URL (and a step no BFF may skip).
type (
	Feed  = dto.Feed[dto.WebCard]
	Video = dto.Video[dto.WebCard, dto.WebReply]
	User  = dto.User[dto.WebUser, dto.WebCard]
)

// Fetched is everything a scene read from the downstreams, keyed by ID;
// relations are the viewer's, keyed by target mid.
type Fetched struct {
	Archives  map[int64]*archivev1.Archive
	Stats     map[int64]*statv1.Stat
	Profiles  map[int64]*accountv1.Profile
	Relations map[int64]*relationv1.Relation
}

// NewFetched has empty maps, for a BFF that fills them one item at a time.
func NewFetched() *Fetched {
	return &Fetched{
		Archives:  map[int64]*archivev1.Archive{},
		Stats:     map[int64]*statv1.Stat{},
		Profiles:  map[int64]*accountv1.Profile{},
		Relations: map[int64]*relationv1.Relation{},
	}
}

// VisibleArchive says whether a card may show the archive.
func VisibleArchive(a *archivev1.Archive) bool { return a != nil && a.GetState() == 0 }

// card is one archive's card; withRelation adds the viewer's following of
// the owner.
func (f *Fetched) card(a *archivev1.Archive, reason string, withRelation bool) dto.WebCard {
	c := dto.WebCard{
		Aid:      a.GetAid(),
		Title:    a.GetTitle(),
		Desc:     a.GetDesc(),
		Cover:    dto.SafeURL(a.GetCover()),
		Duration: a.GetDurationS(),
		Pubdate:  time.Unix(a.GetPubdate(), 0).UTC().Format(time.RFC3339),
		Tags:     a.GetTags(),
		Reason:   reason,
		Owner:    dto.Owner{Mid: a.GetOwnerMid()},
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if p := f.Profiles[a.GetOwnerMid()]; p != nil {
		c.Owner.Name, c.Owner.Face = p.GetName(), dto.SafeURL(p.GetFace())
	}
	if r := f.Relations[a.GetOwnerMid()]; withRelation && r != nil {
		following := r.GetFollowing()
		c.Owner.Following = &following
	}
	if s := f.Stats[a.GetAid()]; s != nil {
		c.Stats = &dto.WebStats{
			View: s.GetView(), Danmaku: s.GetDanmaku(), Reply: s.GetReply(), Favorite: s.GetFavorite(),
			Coin: s.GetCoin(), Share: s.GetShare(), Like: s.GetLike(),
		}
	}
	return c
}

// FeedBody is the feed page of the recommended items.
func (f *Fetched) FeedBody(page, ps int, items []*feedv1.Item) Feed {
	// has_more as bff/scene rules it: a full page from the recommender.
	more := len(items) >= ps && page < request.MaxPage
	out := Feed{Page: page, PageSize: ps, HasMore: more, Cards: make([]dto.WebCard, 0, len(items))}
	for _, it := range items {
		if a := f.Archives[it.GetAid()]; VisibleArchive(a) {
			out.Cards = append(out.Cards, f.card(a, it.GetReason(), true))
		}
	}
	return out
}

// VideoBody is the video page: the video, its related and its hot replies.
func (f *Fetched) VideoBody(aid int64, related []int64, replies []*replyv1.Reply) Video {
	out := Video{Video: f.card(f.Archives[aid], "", true), Related: []dto.WebCard{}, Replies: make([]dto.WebReply, 0, len(replies))}
	for _, r := range related {
		if a := f.Archives[r]; VisibleArchive(a) && r != aid {
			out.Related = append(out.Related, f.card(a, "", false))
		}
	}
	for _, r := range replies {
		m := dto.Member{Mid: r.GetMid()}
		if p := f.Profiles[r.GetMid()]; p != nil {
			m.Name, m.Face = p.GetName(), dto.SafeURL(p.GetFace())
		}
		out.Replies = append(out.Replies, dto.WebReply{
			Rpid: r.GetRpid(), Message: r.GetMessage(), Like: r.GetLike(),
			Ctime: time.Unix(r.GetCtime(), 0).UTC().Format(time.RFC3339), Member: m,
		})
	}
	return out
}

// UserBody is the user page: the header and a page of uploads.
func (f *Fetched) UserBody(mid int64, page, ps int, counts *relationv1.FollowerCount, aids []int64, total int64) User {
	p := f.Profiles[mid]
	out := User{
		User: dto.WebUser{
			Mid: p.GetMid(), Name: p.GetName(), Face: dto.SafeURL(p.GetFace()), Sign: p.GetSign(),
			Level: p.GetLevel(), Vip: p.GetVip(), OfficialTitle: p.GetOfficialTitle(),
		},
		Page: page, PageSize: ps, Total: total, Archives: make([]dto.WebCard, 0, len(aids)),
		// has_more as bff/scene rules it: uploads listed past this page.
		HasMore: int64(page-1)*int64(ps)+int64(len(aids)) < total && page < request.MaxPage,
	}
	if counts != nil {
		out.User.Counts = &dto.WebCounts{Follower: counts.GetFollower(), Following: counts.GetFollowing()}
	}
	if r := f.Relations[mid]; r != nil {
		out.User.Relation = &dto.Relation{Following: r.GetFollowing(), FollowedBy: r.GetFollowedBy()}
	}
	for _, aid := range aids {
		if a := f.Archives[aid]; VisibleArchive(a) {
			out.Archives = append(out.Archives, f.card(a, "", true))
		}
	}
	return out
}

// ErrNotFound answers 404.
var ErrNotFound = errors.New("not found")

// VisibleOwners are the distinct owners of the visible archives, sorted.
func VisibleOwners(arcs map[int64]*archivev1.Archive) []int64 {
	mids := make([]int64, 0, len(arcs))
	for _, a := range arcs {
		if VisibleArchive(a) {
			mids = append(mids, a.GetOwnerMid())
		}
	}
	slices.Sort(mids)
	return slices.Compact(mids)
}
