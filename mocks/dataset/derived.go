package dataset

import (
	"cmp"
	"hash/fnv"
	"math/rand/v2"
	"slices"

	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
)

// The data below is too large to store (relations are viewer × target) or only
// needed on demand, so it is a pure function of (seed, key): the same on every call,
// in every process.

// Domains keep the hash-derived sequences of different features independent.
const (
	domRelation = iota + 1
	domRecommend
	domRelated
	domReply
	domSkeleton
	domArchive
	domStat
	domProfile
	domCount
	domReplyText
	domPopular
)

// mix hashes its arguments with the splitmix64 finaliser.
func mix(vs ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vs {
		h ^= v
		h += 0x9e3779b97f4a7c15
		h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
		h = (h ^ h>>27) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

func strHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Relation is how viewer relates to target. Viewer 0 is anonymous and follows
// nobody; nobody follows themselves. About 20% of pairs follow, 10% are followed.
func (d *Dataset) Relation(viewer, target int64) *relationv1.Relation {
	if viewer <= 0 || viewer == target {
		return &relationv1.Relation{}
	}
	h := mix(d.seed, domRelation, uint64(viewer), uint64(target))
	return &relationv1.Relation{Following: h%100 < 20, FollowedBy: (h>>32)%100 < 10}
}

// Recommend returns exactly ps (capped at contract.MaxBatch) items for one page of a viewer's
// feed on device, or nil if page or ps is below 1. The base stream is a keyed
// permutation of the visible archives (Classic), so successive pages differ, or
// draws from the Zipf popularity (Config.Zipf), so that a few archives fill most
// pages of every viewer; about one item in 20 is swapped for a hidden archive and
// about one in 20 for another archive of the previous item's owner, so the BFF has
// to filter and can dedup owners.
func (d *Dataset) Recommend(viewer int64, device string, page, ps int) []*feedv1.Item {
	if page < 1 || ps < 1 || len(d.visible) < contract.MaxBatch {
		return nil
	}
	ps = min(ps, contract.MaxBatch)
	key := mix(d.seed, domRecommend, uint64(viewer), strHash(device))
	items := make([]*feedv1.Item, 0, ps)
	used := make(map[int64]bool, ps)
	var prevOwner int64
	for i := range ps {
		k := uint64(page-1)*uint64(ps) + uint64(i)
		h := mix(key, k)
		aid, reason := d.feedItem(key, k, h, prevOwner, used)
		used[aid] = true
		owner := d.skel[aid-1].owner
		if reason == "" {
			reason = d.reason(viewer, owner, h)
		}
		items = append(items, &feedv1.Item{Aid: aid, Reason: reason})
		prevOwner = owner
	}
	return items
}

// feedItem is the k-th item of the stream keyed by key, h its hash: not one
// of used, and a reason when it is not the base stream's own pick.
func (d *Dataset) feedItem(key, k, h uint64, prevOwner int64, used map[int64]bool) (int64, string) {
	n := uint64(len(d.visible))
	var idx uint64
	if d.popular == nil {
		idx = permute(k%n, n, key)
	} else {
		idx = d.popular.draw(mix(h, domPopular))
	}
	aid, reason := d.visible[idx], ""
	switch {
	case h%20 == 0 && len(d.hidden) > 0:
		aid = d.hidden[(h>>8)%uint64(len(d.hidden))]
	case prevOwner != 0 && (h>>8)%100 < 5:
		own := d.byOwner[prevOwner-1]
		aid, reason = own[(h>>16)%uint64(len(own))], "more from this uploader"
	}
	for try := uint64(1); used[aid]; try++ { // so the page still has ps distinct aids
		if d.popular != nil && try <= maxRedraws {
			idx = d.popular.draw(mix(h, domPopular, try))
		} else {
			idx = (idx + 1) % n
		}
		aid, reason = d.visible[idx], ""
	}
	return aid, reason
}

// maxRedraws bounds how often a Zipf feed draws again for a page's item
// before it walks on to the next archive, as the uniform one does at once:
// the most popular archive is drawn a few percent of the time, so a page
// nearly never needs more than a few.
const maxRedraws = 16

func (d *Dataset) reason(viewer, owner int64, h uint64) string {
	if d.Relation(viewer, owner).GetFollowing() {
		return "followed"
	}
	switch (h >> 24) % 4 {
	case 0:
		return "hot"
	case 1:
		return "similar to what you watched"
	case 2:
		return "trending"
	default:
		return "new upload"
	}
}

// permute is a keyed bijection on [0, n): a few invertible mixing rounds on the
// smallest power-of-two domain holding n, cycle-walking until the value falls below
// n. Unlike an affine map, consecutive k land far apart with no visible stride.
func permute(k, n, key uint64) uint64 {
	bits := 1
	for uint64(1)<<bits < n {
		bits++
	}
	mask := uint64(1)<<bits - 1
	for {
		for r := range uint64(4) {
			rk := mix(key, r)
			k = (k * (rk | 1)) & mask // odd multiplier: invertible mod 2^bits
			k ^= k >> (bits/2 + 1)    // xorshift: invertible
			k = (k + rk>>8) & mask
		}
		if k < n {
			return k
		}
	}
}

// Related returns n (capped at contract.MaxBatch) distinct aids related to aid, never aid
// itself; some share its owner and about one in 20 is hidden. A shorter answer is a
// prefix of a longer one. Unknown aid or n < 1 gives nil.
func (d *Dataset) Related(aid int64, n int) []int64 {
	if !d.HasAid(aid) || n < 1 || len(d.visible) < contract.MaxBatch+1 {
		return nil
	}
	n = min(n, contract.MaxBatch)
	rng := d.rngFor(domRelated, uint64(aid))
	own := d.byOwner[d.skel[aid-1].owner-1]
	out := make([]int64, 0, n)
	used := map[int64]bool{aid: true}
	for len(out) < n {
		var c int64
		switch r := rng.IntN(20); {
		case r == 0 && len(d.hidden) > 0:
			c = d.hidden[rng.IntN(len(d.hidden))]
		case r < 4 && len(own) > 1:
			c = own[rng.IntN(len(own))]
		default:
			c = d.visible[rng.IntN(len(d.visible))]
		}
		if !used[c] {
			used[c] = true
			out = append(out, c)
		}
	}
	return out
}

// ListByOwner returns one page of mid's archives, hidden ones included (the BFF
// filters), newest pubdate first, and the total count of mid's archives. ps is
// capped at contract.MaxBatch; page or ps below 1, or an unknown mid, give no aids.
func (d *Dataset) ListByOwner(mid int64, page, ps int) (aids []int64, total int64) {
	if !d.HasMid(mid) {
		return nil, 0
	}
	all := d.byOwner[mid-1]
	total = int64(len(all))
	if page < 1 || ps < 1 {
		return nil, total
	}
	ps = min(ps, contract.MaxBatch)
	start := int64(page-1) * int64(ps)
	if start >= total {
		return nil, total
	}
	return slices.Clone(all[start:min(start+int64(ps), total)]), total
}

// DiscussedAid returns the first visible aid with at least n hot replies,
// for a video page that shows every section; false if none has.
func (d *Dataset) DiscussedAid(n int) (int64, bool) {
	for _, aid := range d.visible {
		if len(d.HotReplies(aid, n)) >= n {
			return aid, true
		}
	}
	return 0, false
}

// HotReplies returns up to n (capped at contract.MaxBatch) hot replies of aid, most liked
// first. Each archive has a fixed set of 0..40 replies, no more than its
// stat's reply count and none liked more than the video (its stat as it is
// now: UpdateStat may change them), so a smaller n gives a prefix of a
// larger one. Unknown aid or n < 1 gives nil.
func (d *Dataset) HotReplies(aid int64, n int) []*replyv1.Reply {
	if !d.HasAid(aid) || n < 1 {
		return nil
	}
	pub := d.skel[aid-1].pubdate
	rng := d.rngFor(domReply, uint64(aid))
	count := 0
	if rng.IntN(100) >= 15 {
		count = 1 + rng.IntN(40)
	}
	// The replies agree with the video's counts: no more replies than its
	// reply count, none liked more than the video, so that a page showing
	// both does not show "0 replies" above three.
	st, _ := d.Stat(aid)
	count = int(min(int64(count), st.GetReply()))
	replies := make([]*replyv1.Reply, count)
	for i := range replies {
		replies[i] = &replyv1.Reply{
			Rpid:    aid*100 + int64(i) + 1,
			Mid:     1 + rng.Int64N(int64(d.cfg.Accounts)),
			Message: d.replyTexts[rng.IntN(len(d.replyTexts))],
			Like:    zeroOr(rng, 10, logUpTo(rng, st.GetLike())),
			Ctime:   pub + rng.Int64N(pubTo-pub),
		}
	}
	slices.SortFunc(replies, func(x, y *replyv1.Reply) int {
		return cmp.Or(cmp.Compare(y.Like, x.Like), cmp.Compare(x.Rpid, y.Rpid))
	})
	return replies[:min(n, contract.MaxBatch, count)]
}

// logUpTo is log-uniform over [1, hi]: one of hi's decades, each as likely,
// then a value in it; 0 when hi < 1.
func logUpTo(rng *rand.Rand, hi int64) int64 {
	if hi < 1 {
		return 0
	}
	decades := 1
	for top := int64(10); top <= hi; top *= 10 {
		decades++
	}
	lo := int64(1)
	for range rng.IntN(decades) {
		lo *= 10
	}
	return lo + rng.Int64N(min(lo*10, hi+1)-lo)
}
