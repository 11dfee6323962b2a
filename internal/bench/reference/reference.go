// Package reference holds what the two reference BFFs that bffctl bench
// measures mosaic against share (packages floor and naive): the page
// shapes they serve, the gRPC stubs they call, the web-shaped JSON they
// build from what they fetched, and the HTTP handler that routes a scene
// request to one of them. Both build their bodies with the same functions
// from the same maps, so for the same request they answer byte-identical
// JSON; only their downstream calls differ.
package reference

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"mosaic/bff/request"
	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/dto"
)

// What the reference BFFs show, as mosaic's web device does.
const (
	MaxPS     = 50 // the web's max page size, also the downstream batch limit: no chunking needed
	DefaultPS = 20
	Related   = 20 // related videos on the video page
	Replies   = 10 // hot replies on the video page
	Device    = "web"
)

// Stubs are the generated gRPC clients of the six downstreams.
type Stubs struct {
	Account  accountv1.AccountServiceClient
	Archive  archivev1.ArchiveServiceClient
	Stat     statv1.StatServiceClient
	Relation relationv1.RelationServiceClient
	Feed     feedv1.FeedServiceClient
	Reply    replyv1.ReplyServiceClient
}

// Dial opens one plain connection per service; targets maps a service
// name to host:port. close releases them.
func Dial(targets map[string]string) (s *Stubs, close func(), err error) {
	var conns []*grpc.ClientConn
	close = func() {
		for _, c := range conns {
			c.Close()
		}
	}
	cc := map[string]*grpc.ClientConn{}
	for _, svc := range clients.Services() {
		addr, ok := targets[svc]
		if !ok {
			close()
			return nil, nil, fmt.Errorf("no target for the %s service", svc)
		}
		c, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			close()
			return nil, nil, fmt.Errorf("%s: %w", svc, err)
		}
		conns = append(conns, c)
		cc[svc] = c
	}
	return &Stubs{
		Account:  accountv1.NewAccountServiceClient(cc[clients.Account]),
		Archive:  archivev1.NewArchiveServiceClient(cc[clients.Archive]),
		Stat:     statv1.NewStatServiceClient(cc[clients.Stat]),
		Relation: relationv1.NewRelationServiceClient(cc[clients.Relation]),
		Feed:     feedv1.NewFeedServiceClient(cc[clients.Feed]),
		Reply:    replyv1.NewReplyServiceClient(cc[clients.Reply]),
	}, close, nil
}

// The downstream calls the reference BFFs make, one per RPC, so that the
// floor and the naive BFF differ only in how many they make and when. On
// an error the result is whatever the response held (nothing).

// Recommend is a page of the viewer's feed.
func (s *Stubs) Recommend(ctx context.Context, q Query) ([]*feedv1.Item, error) {
	resp, err := s.Feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: q.Viewer, Device: q.Device, Page: int32(q.Page), Ps: int32(q.PS)})
	return resp.GetItems(), err
}

// Related are the videos shown beside aid.
func (s *Stubs) Related(ctx context.Context, aid int64) ([]int64, error) {
	resp, err := s.Feed.Related(ctx, &feedv1.RelatedRequest{Aid: aid, N: Related})
	return resp.GetAids(), err
}

// HotReplies are aid's hot replies.
func (s *Stubs) HotReplies(ctx context.Context, aid int64) ([]*replyv1.Reply, error) {
	resp, err := s.Reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: []int64{aid}, N: Replies})
	return resp.GetReplies()[aid].GetReplies(), err
}

// Archives are the archives of aids, by aid.
func (s *Stubs) Archives(ctx context.Context, aids []int64) (map[int64]*archivev1.Archive, error) {
	resp, err := s.Archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: aids})
	return resp.GetArchives(), err
}

// Stats are the stats of aids, by aid.
func (s *Stubs) Stats(ctx context.Context, aids []int64) (map[int64]*statv1.Stat, error) {
	resp, err := s.Stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: aids})
	return resp.GetStats(), err
}

// Profiles are the profiles of mids, by mid.
func (s *Stubs) Profiles(ctx context.Context, mids []int64) (map[int64]*accountv1.Profile, error) {
	resp, err := s.Account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: mids})
	return resp.GetProfiles(), err
}

// Relations are the viewer's relations to mids, by mid.
func (s *Stubs) Relations(ctx context.Context, viewer int64, mids []int64) (map[int64]*relationv1.Relation, error) {
	resp, err := s.Relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: viewer, TargetMids: mids})
	return resp.GetRelations(), err
}

// FollowerCount is mid's follower and following counts.
func (s *Stubs) FollowerCount(ctx context.Context, mid int64) (*relationv1.FollowerCount, error) {
	resp, err := s.Relation.BatchGetFollowerCounts(ctx, &relationv1.BatchGetFollowerCountsRequest{Mids: []int64{mid}})
	return resp.GetCounts()[mid], err
}

// Uploads are a page of mid's uploads and how many there are in all.
func (s *Stubs) Uploads(ctx context.Context, mid int64, q Query) (aids []int64, total int64, err error) {
	resp, err := s.Archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: mid, Page: int32(q.Page), Ps: int32(q.PS)})
	return resp.GetAids(), resp.GetTotal(), err
}

// Aids are the items' aids, in order.
func Aids(items []*feedv1.Item) []int64 {
	aids := make([]int64, len(items))
	for i, it := range items {
		aids[i] = it.GetAid()
	}
	return aids
}

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
		Head:     dto.Head{Aid: a.GetAid(), Title: a.GetTitle()},
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
	// has_more as bff/assemble rules it: a full page from the recommender.
	more := len(items) >= ps && page < request.MaxPage
	out := Feed{Paging: dto.Paging{Page: page, PageSize: ps}, HasMore: more, Cards: make([]dto.WebCard, 0, len(items))}
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
		Paging: dto.Paging{Page: page, PageSize: ps}, Total: total, Archives: make([]dto.WebCard, 0, len(aids)),
		// has_more as bff/assemble rules it: uploads listed past this page.
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
