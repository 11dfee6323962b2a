package main

// The two reference BFFs that `bffctl bench` measures mosaic against, over
// the same downstreams and with the same web-shaped JSON:
//
//   - floor: the unavoidable cost. The same batched calls in the same
//     dataflow as bff/scene, written with errgroup straight over the
//     generated gRPC stubs, encoded with encoding/json. No router, no
//     middleware, no device adaptation, no metrics, no resilience.
//   - naive: the N+1 BFF. The same scenes, but it loops over the items and
//     calls the downstreams once per item, one call after the other.
//
// Both build their bodies with the same functions from the same maps, so
// for the same request they answer byte-identical JSON; only the calls
// differ.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
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
	refMaxPS      = 50 // the web's max page size, also the downstream batch limit: no chunking needed
	refDefaultPS  = 20
	refRelated    = 20 // related videos on the video page
	refReplies    = 10 // hot replies on the video page
	refDeviceName = "web"
)

// stubs are the generated gRPC clients of the six downstreams.
type stubs struct {
	account  accountv1.AccountServiceClient
	archive  archivev1.ArchiveServiceClient
	stat     statv1.StatServiceClient
	relation relationv1.RelationServiceClient
	feed     feedv1.FeedServiceClient
	reply    replyv1.ReplyServiceClient
}

// dialStubs opens one plain connection per service; targets maps a service
// name to host:port. close releases them.
func dialStubs(targets map[string]string) (s *stubs, close func(), err error) {
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
	return &stubs{
		account:  accountv1.NewAccountServiceClient(cc[clients.Account]),
		archive:  archivev1.NewArchiveServiceClient(cc[clients.Archive]),
		stat:     statv1.NewStatServiceClient(cc[clients.Stat]),
		relation: relationv1.NewRelationServiceClient(cc[clients.Relation]),
		feed:     feedv1.NewFeedServiceClient(cc[clients.Feed]),
		reply:    replyv1.NewReplyServiceClient(cc[clients.Reply]),
	}, close, nil
}

// The JSON the reference BFFs answer: mosaic's web types (dto), filled
// straight from the downstream messages, without mosaic's image-URL and
// number adaptation; URLs go through dto.SafeURL, the only way to fill a
// dto.URL (and a step no BFF may skip).
type (
	refOwner      = dto.Owner
	refStats      = dto.WebStats
	refCard       = dto.WebCard
	refFeed       = dto.Feed[dto.WebCard]
	refMember     = dto.Member
	refReply      = dto.WebReply
	refVideo      = dto.Video[dto.WebCard, dto.WebReply]
	refRelation   = dto.Relation
	refCounts     = dto.WebCounts
	refUserHeader = dto.WebUser
	refUser       = dto.User[dto.WebUser, dto.WebCard]
)

// fetched is everything a scene read from the downstreams, keyed by ID;
// relations are the viewer's, keyed by target mid.
type fetched struct {
	archives  map[int64]*archivev1.Archive
	stats     map[int64]*statv1.Stat
	profiles  map[int64]*accountv1.Profile
	relations map[int64]*relationv1.Relation
}

func newFetched() *fetched {
	return &fetched{
		archives:  map[int64]*archivev1.Archive{},
		stats:     map[int64]*statv1.Stat{},
		profiles:  map[int64]*accountv1.Profile{},
		relations: map[int64]*relationv1.Relation{},
	}
}

func visibleArchive(a *archivev1.Archive) bool { return a != nil && a.GetState() == 0 }

// card is one archive's card; withRelation adds the viewer's following of
// the owner.
func (f *fetched) card(a *archivev1.Archive, reason string, withRelation bool) refCard {
	c := refCard{
		Head:     dto.Head{Aid: a.GetAid(), Title: a.GetTitle()},
		Desc:     a.GetDesc(),
		Cover:    dto.SafeURL(a.GetCover()),
		Duration: a.GetDurationS(),
		Pubdate:  time.Unix(a.GetPubdate(), 0).UTC().Format(time.RFC3339),
		Tags:     a.GetTags(),
		Reason:   reason,
		Owner:    refOwner{Mid: a.GetOwnerMid()},
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if p := f.profiles[a.GetOwnerMid()]; p != nil {
		c.Owner.Name, c.Owner.Face = p.GetName(), dto.SafeURL(p.GetFace())
	}
	if r := f.relations[a.GetOwnerMid()]; withRelation && r != nil {
		following := r.GetFollowing()
		c.Owner.Following = &following
	}
	if s := f.stats[a.GetAid()]; s != nil {
		c.Stats = &refStats{
			View: s.GetView(), Danmaku: s.GetDanmaku(), Reply: s.GetReply(), Favorite: s.GetFavorite(),
			Coin: s.GetCoin(), Share: s.GetShare(), Like: s.GetLike(),
		}
	}
	return c
}

func (f *fetched) feedBody(page, ps int, items []*feedv1.Item) refFeed {
	// has_more as bff/scene rules it: a full page from the recommender.
	more := len(items) >= ps && page < request.MaxPage
	out := refFeed{Paging: dto.Paging{Page: page, PageSize: ps}, HasMore: more, Cards: make([]refCard, 0, len(items))}
	for _, it := range items {
		if a := f.archives[it.GetAid()]; visibleArchive(a) {
			out.Cards = append(out.Cards, f.card(a, it.GetReason(), true))
		}
	}
	return out
}

func (f *fetched) videoBody(aid int64, related []int64, replies []*replyv1.Reply) refVideo {
	out := refVideo{Video: f.card(f.archives[aid], "", true), Related: []refCard{}, Replies: make([]refReply, 0, len(replies))}
	for _, r := range related {
		if a := f.archives[r]; visibleArchive(a) && r != aid {
			out.Related = append(out.Related, f.card(a, "", false))
		}
	}
	for _, r := range replies {
		m := refMember{Mid: r.GetMid()}
		if p := f.profiles[r.GetMid()]; p != nil {
			m.Name, m.Face = p.GetName(), dto.SafeURL(p.GetFace())
		}
		out.Replies = append(out.Replies, refReply{
			Rpid: r.GetRpid(), Message: r.GetMessage(), Like: r.GetLike(),
			Ctime: time.Unix(r.GetCtime(), 0).UTC().Format(time.RFC3339), Member: m,
		})
	}
	return out
}

func (f *fetched) userBody(mid int64, page, ps int, counts *relationv1.FollowerCount, aids []int64, total int64) refUser {
	p := f.profiles[mid]
	out := refUser{
		User: refUserHeader{
			Mid: p.GetMid(), Name: p.GetName(), Face: dto.SafeURL(p.GetFace()), Sign: p.GetSign(),
			Level: p.GetLevel(), Vip: p.GetVip(), OfficialTitle: p.GetOfficialTitle(),
		},
		Paging: dto.Paging{Page: page, PageSize: ps}, Total: total, Archives: make([]refCard, 0, len(aids)),
		// has_more as bff/scene rules it: uploads listed past this page.
		HasMore: int64(page-1)*int64(ps)+int64(len(aids)) < total && page < request.MaxPage,
	}
	if counts != nil {
		out.User.Counts = &refCounts{Follower: counts.GetFollower(), Following: counts.GetFollowing()}
	}
	if r := f.relations[mid]; r != nil {
		out.User.Relation = &refRelation{Following: r.GetFollowing(), FollowedBy: r.GetFollowedBy()}
	}
	for _, aid := range aids {
		if a := f.archives[aid]; visibleArchive(a) {
			out.Archives = append(out.Archives, f.card(a, "", true))
		}
	}
	return out
}

// errNotFound answers 404.
var errNotFound = errors.New("not found")

// refQuery is a parsed scene request.
type refQuery struct {
	device   string
	viewer   int64
	page, ps int
	id       int64 // aid or mid
}

// refServer serves the three scenes for any device segment, floor or naive.
type refServer struct {
	s     *stubs
	naive bool
}

func (h *refServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// /{device}/v1/feed, /{device}/v1/videos/{aid}, /{device}/v1/users/{mid}
	dev, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := refQuery{device: dev, page: 1, ps: refDefaultPS}
	q.viewer, _ = strconv.ParseInt(r.Header.Get("X-User-Id"), 10, 64)
	if v := r.URL.Query().Get("ps"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			http.Error(w, "bad ps", http.StatusBadRequest)
			return
		}
		q.ps = min(n, refMaxPS)
	}
	if v := r.URL.Query().Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			http.Error(w, "bad page", http.StatusBadRequest)
			return
		}
		q.page = n
	}
	var (
		body any
		err  error
	)
	ctx := r.Context()
	switch {
	case rest == "v1/feed":
		body, err = h.feed(ctx, q)
	case strings.HasPrefix(rest, "v1/videos/"):
		if q.id, err = strconv.ParseInt(strings.TrimPrefix(rest, "v1/videos/"), 10, 64); err != nil {
			http.Error(w, "bad aid", http.StatusBadRequest)
			return
		}
		body, err = h.video(ctx, q)
	case strings.HasPrefix(rest, "v1/users/"):
		if q.id, err = strconv.ParseInt(strings.TrimPrefix(rest, "v1/users/"), 10, 64); err != nil {
			http.Error(w, "bad mid", http.StatusBadRequest)
			return
		}
		body, err = h.user(ctx, q)
	default:
		http.NotFound(w, r)
		return
	}
	switch {
	case errors.Is(err, errNotFound):
		http.NotFound(w, r)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

func (h *refServer) feed(ctx context.Context, q refQuery) (any, error) {
	if h.naive {
		return h.naiveFeed(ctx, q)
	}
	return h.floorFeed(ctx, q)
}

func (h *refServer) video(ctx context.Context, q refQuery) (any, error) {
	if h.naive {
		return h.naiveVideo(ctx, q)
	}
	return h.floorVideo(ctx, q)
}

func (h *refServer) user(ctx context.Context, q refQuery) (any, error) {
	if h.naive {
		return h.naiveUser(ctx, q)
	}
	return h.floorUser(ctx, q)
}

// visibleOwners are the distinct owners of the visible archives, sorted.
func visibleOwners(arcs map[int64]*archivev1.Archive) []int64 {
	mids := make([]int64, 0, len(arcs))
	for _, a := range arcs {
		if visibleArchive(a) {
			mids = append(mids, a.GetOwnerMid())
		}
	}
	slices.Sort(mids)
	return slices.Compact(mids)
}

// floorFeed: Recommend → (Archives ‖ Stats) → (Profiles ‖ Relations) of
// owners; Profiles and Relations start as soon as Archives answers.
func (h *refServer) floorFeed(ctx context.Context, q refQuery) (any, error) {
	rec, err := h.s.feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: q.viewer, Device: q.device, Page: int32(q.page), Ps: int32(q.ps)})
	if err != nil {
		return nil, err
	}
	items := rec.GetItems()
	aids := make([]int64, len(items))
	for i, it := range items {
		aids[i] = it.GetAid()
	}
	f := &fetched{}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		resp, err := h.s.stat.BatchGetStats(gctx, &statv1.BatchGetStatsRequest{Aids: aids})
		f.stats = resp.GetStats()
		return err
	})
	g.Go(func() error {
		resp, err := h.s.archive.BatchGetArchives(gctx, &archivev1.BatchGetArchivesRequest{Aids: aids})
		if err != nil {
			return err
		}
		f.archives = resp.GetArchives()
		owners := visibleOwners(f.archives)
		if len(owners) == 0 {
			return nil
		}
		g.Go(func() error {
			resp, err := h.s.account.BatchGetProfiles(gctx, &accountv1.BatchGetProfilesRequest{Mids: owners})
			f.profiles = resp.GetProfiles()
			return err
		})
		if q.viewer != 0 {
			g.Go(func() error {
				resp, err := h.s.relation.BatchGetRelations(gctx, &relationv1.BatchGetRelationsRequest{ViewerMid: q.viewer, TargetMids: owners})
				f.relations = resp.GetRelations()
				return err
			})
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return f.feedBody(q.page, q.ps, items), nil
}

// floorVideo: (Related ‖ HotReplies) → (Archives ‖ Stats) of the video and
// its related → (Profiles of owners and repliers ‖ Relation to the owner).
func (h *refServer) floorVideo(ctx context.Context, q refQuery) (any, error) {
	aid := q.id
	f := &fetched{}
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
		resp, err := h.s.feed.Related(gctx, &feedv1.RelatedRequest{Aid: aid, N: refRelated})
		related = resp.GetAids()
		return err
	})
	g.Go(func() error {
		defer close(repDone)
		resp, err := h.s.reply.BatchGetHotReplies(gctx, &replyv1.BatchGetHotRepliesRequest{Aids: []int64{aid}, N: refReplies})
		replies = resp.GetReplies()[aid].GetReplies()
		return err
	})
	g.Go(func() error {
		resp, err := h.s.stat.BatchGetStats(gctx, &statv1.BatchGetStatsRequest{Aids: batch()})
		f.stats = resp.GetStats()
		return err
	})
	g.Go(func() error {
		resp, err := h.s.archive.BatchGetArchives(gctx, &archivev1.BatchGetArchivesRequest{Aids: batch()})
		if err != nil {
			return err
		}
		f.archives = resp.GetArchives()
		video := f.archives[aid]
		if !visibleArchive(video) {
			return errNotFound
		}
		g.Go(func() error {
			mids := visibleOwners(f.archives)
			<-repDone
			for _, r := range replies {
				mids = append(mids, r.GetMid())
			}
			slices.Sort(mids)
			resp, err := h.s.account.BatchGetProfiles(gctx, &accountv1.BatchGetProfilesRequest{Mids: slices.Compact(mids)})
			f.profiles = resp.GetProfiles()
			return err
		})
		if q.viewer != 0 {
			g.Go(func() error {
				resp, err := h.s.relation.BatchGetRelations(gctx, &relationv1.BatchGetRelationsRequest{ViewerMid: q.viewer, TargetMids: []int64{video.GetOwnerMid()}})
				f.relations = resp.GetRelations()
				return err
			})
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return f.videoBody(aid, related, replies), nil
}

// floorUser: (Profile ‖ FollowerCounts ‖ Relation ‖ ListByOwner) →
// (Archives ‖ Stats).
func (h *refServer) floorUser(ctx context.Context, q refQuery) (any, error) {
	var (
		f      = &fetched{}
		counts *relationv1.FollowerCount
		aids   []int64
		total  int64
		mid    = q.id
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		resp, err := h.s.account.BatchGetProfiles(gctx, &accountv1.BatchGetProfilesRequest{Mids: []int64{mid}})
		f.profiles = resp.GetProfiles()
		return err
	})
	g.Go(func() error {
		resp, err := h.s.relation.BatchGetFollowerCounts(gctx, &relationv1.BatchGetFollowerCountsRequest{Mids: []int64{mid}})
		counts = resp.GetCounts()[mid]
		return err
	})
	if q.viewer != 0 {
		g.Go(func() error {
			resp, err := h.s.relation.BatchGetRelations(gctx, &relationv1.BatchGetRelationsRequest{ViewerMid: q.viewer, TargetMids: []int64{mid}})
			f.relations = resp.GetRelations()
			return err
		})
	}
	g.Go(func() error {
		resp, err := h.s.archive.ListByOwner(gctx, &archivev1.ListByOwnerRequest{Mid: mid, Page: int32(q.page), Ps: int32(q.ps)})
		if err != nil {
			return err
		}
		aids, total = resp.GetAids(), resp.GetTotal()
		if len(aids) == 0 {
			return nil
		}
		g.Go(func() error {
			resp, err := h.s.archive.BatchGetArchives(gctx, &archivev1.BatchGetArchivesRequest{Aids: aids})
			f.archives = resp.GetArchives()
			return err
		})
		g.Go(func() error {
			resp, err := h.s.stat.BatchGetStats(gctx, &statv1.BatchGetStatsRequest{Aids: aids})
			f.stats = resp.GetStats()
			return err
		})
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if f.profiles[mid] == nil {
		return nil, errNotFound
	}
	return f.userBody(mid, q.page, q.ps, counts, aids, total), nil
}

// The naive BFF: one call per item, one after the other.

func (h *refServer) naiveArchive(ctx context.Context, f *fetched, aid int64) error {
	resp, err := h.s.archive.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: []int64{aid}})
	if a := resp.GetArchives()[aid]; a != nil {
		f.archives[aid] = a
	}
	return err
}

func (h *refServer) naiveStat(ctx context.Context, f *fetched, aid int64) error {
	resp, err := h.s.stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: []int64{aid}})
	if s := resp.GetStats()[aid]; s != nil {
		f.stats[aid] = s
	}
	return err
}

func (h *refServer) naiveProfile(ctx context.Context, f *fetched, mid int64) error {
	resp, err := h.s.account.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: []int64{mid}})
	if p := resp.GetProfiles()[mid]; p != nil {
		f.profiles[mid] = p
	}
	return err
}

func (h *refServer) naiveRelation(ctx context.Context, f *fetched, viewer, mid int64) error {
	if viewer == 0 {
		return nil
	}
	resp, err := h.s.relation.BatchGetRelations(ctx, &relationv1.BatchGetRelationsRequest{ViewerMid: viewer, TargetMids: []int64{mid}})
	if r := resp.GetRelations()[mid]; r != nil {
		f.relations[mid] = r
	}
	return err
}

func (h *refServer) naiveFeed(ctx context.Context, q refQuery) (any, error) {
	rec, err := h.s.feed.Recommend(ctx, &feedv1.RecommendRequest{ViewerMid: q.viewer, Device: q.device, Page: int32(q.page), Ps: int32(q.ps)})
	if err != nil {
		return nil, err
	}
	f := newFetched()
	for _, it := range rec.GetItems() {
		aid := it.GetAid()
		if err := h.naiveArchive(ctx, f, aid); err != nil {
			return nil, err
		}
		a := f.archives[aid]
		if !visibleArchive(a) {
			continue
		}
		if err := h.naiveStat(ctx, f, aid); err != nil {
			return nil, err
		}
		if err := h.naiveProfile(ctx, f, a.GetOwnerMid()); err != nil {
			return nil, err
		}
		if err := h.naiveRelation(ctx, f, q.viewer, a.GetOwnerMid()); err != nil {
			return nil, err
		}
	}
	return f.feedBody(q.page, q.ps, rec.GetItems()), nil
}

func (h *refServer) naiveVideo(ctx context.Context, q refQuery) (any, error) {
	aid := q.id
	f := newFetched()
	if err := h.naiveArchive(ctx, f, aid); err != nil {
		return nil, err
	}
	video := f.archives[aid]
	if !visibleArchive(video) {
		return nil, errNotFound
	}
	rel, err := h.s.feed.Related(ctx, &feedv1.RelatedRequest{Aid: aid, N: refRelated})
	if err != nil {
		return nil, err
	}
	rep, err := h.s.reply.BatchGetHotReplies(ctx, &replyv1.BatchGetHotRepliesRequest{Aids: []int64{aid}, N: refReplies})
	if err != nil {
		return nil, err
	}
	if err := h.naiveStat(ctx, f, aid); err != nil {
		return nil, err
	}
	if err := h.naiveProfile(ctx, f, video.GetOwnerMid()); err != nil {
		return nil, err
	}
	if err := h.naiveRelation(ctx, f, q.viewer, video.GetOwnerMid()); err != nil {
		return nil, err
	}
	for _, r := range rel.GetAids() {
		if err := h.naiveArchive(ctx, f, r); err != nil {
			return nil, err
		}
		a := f.archives[r]
		if !visibleArchive(a) {
			continue
		}
		if err := h.naiveStat(ctx, f, r); err != nil {
			return nil, err
		}
		if err := h.naiveProfile(ctx, f, a.GetOwnerMid()); err != nil {
			return nil, err
		}
	}
	replies := rep.GetReplies()[aid].GetReplies()
	for _, r := range replies {
		if err := h.naiveProfile(ctx, f, r.GetMid()); err != nil {
			return nil, err
		}
	}
	// The video's relation is to its owner only; related cards show none.
	return f.videoBody(aid, rel.GetAids(), replies), nil
}

func (h *refServer) naiveUser(ctx context.Context, q refQuery) (any, error) {
	mid := q.id
	f := newFetched()
	if err := h.naiveProfile(ctx, f, mid); err != nil {
		return nil, err
	}
	if f.profiles[mid] == nil {
		return nil, errNotFound
	}
	cnt, err := h.s.relation.BatchGetFollowerCounts(ctx, &relationv1.BatchGetFollowerCountsRequest{Mids: []int64{mid}})
	if err != nil {
		return nil, err
	}
	if err := h.naiveRelation(ctx, f, q.viewer, mid); err != nil {
		return nil, err
	}
	list, err := h.s.archive.ListByOwner(ctx, &archivev1.ListByOwnerRequest{Mid: mid, Page: int32(q.page), Ps: int32(q.ps)})
	if err != nil {
		return nil, err
	}
	for _, aid := range list.GetAids() {
		if err := h.naiveArchive(ctx, f, aid); err != nil {
			return nil, err
		}
		if !visibleArchive(f.archives[aid]) {
			continue
		}
		if err := h.naiveStat(ctx, f, aid); err != nil {
			return nil, err
		}
	}
	return f.userBody(mid, q.page, q.ps, cnt.GetCounts()[mid], list.GetAids(), list.GetTotal()), nil
}
