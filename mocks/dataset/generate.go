package dataset

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bxcodec/faker/v3"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	statv1 "mosaic/clients/stat/v1"
)

// Pubdates fall in [2024-01-01, 2027-01-01) UTC; replies are made before the end.
const (
	pubFrom = 1704067200
	pubTo   = 1798761600
)

// vocab is the non-faker text material, split from constants per build.
type vocab struct {
	zh, prefixes, tags, officials []string
}

func newVocab() vocab {
	return vocab{
		zh:        strings.Fields(zhText),
		prefixes:  strings.Fields(titlePrefixes),
		tags:      strings.Fields(zhTags),
		officials: strings.Split("bilibili 知名UP主|bilibili 2025百大UP主|科技领域优质创作者|Official account|Verified musician", "|"),
	}
}

// rngFor is the data source of one entity or derived answer: its own PCG
// stream, keyed by the seed, a domain and the ID, so that it is the same
// whatever else has been generated.
func (d *Dataset) rngFor(dom, id uint64) *rand.Rand {
	return rand.New(rand.NewPCG(mix(d.seed, dom, id), streamData))
}

// generateSequence draws the whole world up front from one data stream and
// one faker stream, in the order the Classic world was recorded in: every
// account, then every archive, then the reply texts.
func (d *Dataset) generateSequence() {
	rng := rand.New(rand.NewPCG(d.seed, streamData))
	withFaker(d.seed, func() {
		for i := range d.profiles {
			d.profiles[i].Store(d.vocab.profile(rng, int64(i+1)))
			d.counts[i].Store(followCount(rng))
		}
		for i := range d.archives {
			a := d.vocab.archive(rng, int64(i+1), d.cfg.Accounts)
			d.archives[i].Store(a)
			d.stats[i].Store(stat(rng))
			d.skel[i] = skeleton{owner: a.OwnerMid, pubdate: a.Pubdate, state: a.State}
		}
		d.replyTexts = d.vocab.replyTexts(rng)
	})
}

// generateSkeletons draws, per archive, only what the indexes need (owner,
// pubdate, state), from the archive's own stream; the rest of every entity
// is generated on first use (archiveAt, profileAt, ...).
func (d *Dataset) generateSkeletons() {
	for i := range d.skel {
		rng := d.rngFor(domSkeleton, uint64(i+1))
		d.skel[i] = skeleton{pubdate: pubdate(rng), owner: owner(rng, d.cfg.Accounts), state: state(rng)}
	}
	withFaker(mix(d.seed, domReplyText), func() { d.replyTexts = d.vocab.replyTexts(d.rngFor(domReplyText, 0)) })
}

// The per-ID generators of a PerID world. Each entity is a function of
// (seed, ID) alone; an archive takes its owner, pubdate and state from its
// skeleton, which the indexes were built from.

func (d *Dataset) archiveAt(aid int64) *archivev1.Archive {
	var a *archivev1.Archive
	withFaker(mix(d.seed, domArchive, uint64(aid)), func() {
		a = d.vocab.archive(d.rngFor(domArchive, uint64(aid)), aid, d.cfg.Accounts)
	})
	sk := d.skel[aid-1]
	a.OwnerMid, a.Pubdate, a.State = sk.owner, sk.pubdate, sk.state
	return a
}

func (d *Dataset) statAt(aid int64) *statv1.Stat { return stat(d.rngFor(domStat, uint64(aid))) }

func (d *Dataset) profileAt(mid int64) *accountv1.Profile {
	var p *accountv1.Profile
	withFaker(mix(d.seed, domProfile, uint64(mid)), func() { p = d.vocab.profile(d.rngFor(domProfile, uint64(mid)), mid) })
	return p
}

func (d *Dataset) countAt(mid int64) *relationv1.FollowerCount {
	return followCount(d.rngFor(domCount, uint64(mid)))
}

// profile must run under withFaker.
func (v *vocab) profile(rng *rand.Rand, mid int64) *accountv1.Profile {
	var fp fakeProfile
	must(faker.FakeData(&fp))
	p := &accountv1.Profile{
		Mid:      mid,
		Name:     fp.Name,
		Face:     imageURL(rng, "face"),
		Level:    int32(rng.IntN(7)),
		Vip:      rng.IntN(10) < 3,
		Email:    fp.Email,
		Phone:    fp.Phone,
		Birthday: fp.Birthday,
	}
	switch r := rng.IntN(10); {
	case r == 0: // many people never write a sign
	case r < 5:
		p.Sign = v.pick(rng, v.zh) + "，" + v.pick(rng, v.zh)
	default:
		p.Sign = fakeSentence(rng)
	}
	if rng.IntN(100) < 8 {
		p.OfficialTitle = v.pick(rng, v.officials)
	}
	return p
}

func followCount(rng *rand.Rand) *relationv1.FollowerCount {
	return &relationv1.FollowerCount{
		Follower:  zeroOr(rng, 2, logInt(rng, 8)), // up to 1e8
		Following: int64(rng.IntN(rng.IntN(2000) + 1)),
	}
}

// archive must run under withFaker.
func (v *vocab) archive(rng *rand.Rand, aid int64, accounts int) *archivev1.Archive {
	return &archivev1.Archive{
		Aid:       aid,
		Title:     v.title(rng),
		Desc:      v.desc(rng),
		Cover:     imageURL(rng, "archive"),
		DurationS: duration(rng),
		Pubdate:   pubdate(rng),
		OwnerMid:  owner(rng, accounts),
		Tags:      v.tagList(rng),
		State:     state(rng),
	}
}

func pubdate(rng *rand.Rand) int64 { return pubFrom + rng.Int64N(pubTo-pubFrom) }

// state is 0 (visible) for 97% of archives, else one of the hidden states.
func state(rng *rand.Rand) int32 {
	if rng.IntN(100) < 3 {
		return [...]int32{-1, -1, -1, -2, -4}[rng.IntN(5)]
	}
	return 0
}

// replyTexts is the pool replies draw their messages from; it must run under
// withFaker.
func (v *vocab) replyTexts(rng *rand.Rand) []string {
	texts := make([]string, 512)
	for i := range texts {
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			texts[i] = v.pick(rng, v.zh) + "！" + v.pick(rng, v.zh)
		case 4, 5, 6:
			texts[i] = fakeSentence(rng)
		default:
			texts[i] = v.pick(rng, v.zh) + " " + fakeSentence(rng)
		}
	}
	return texts
}

// index builds the derived lookups from the skeletons; it needs no randomness.
func (d *Dataset) index() {
	d.byOwner = make([][]int64, d.cfg.Accounts)
	for i, sk := range d.skel {
		aid := int64(i + 1)
		d.byOwner[sk.owner-1] = append(d.byOwner[sk.owner-1], aid)
		if sk.state == 0 {
			d.visible = append(d.visible, aid)
		} else {
			d.hidden = append(d.hidden, aid)
		}
	}
	for _, aids := range d.byOwner {
		slices.SortFunc(aids, func(x, y int64) int { // newest first, ties by aid
			return cmp.Or(cmp.Compare(d.skel[y-1].pubdate, d.skel[x-1].pubdate), cmp.Compare(y, x))
		})
	}
}

func (v *vocab) pick(rng *rand.Rand, from []string) string { return from[rng.IntN(len(from))] }

// title is short: Chinese with an uploader's bracket prefix, mixed, or lorem words.
func (v *vocab) title(rng *rand.Rand) string {
	switch rng.IntN(10) {
	case 0, 1, 2, 3:
		return v.pick(rng, v.prefixes) + v.pick(rng, v.zh) + "！" + v.pick(rng, v.zh)
	case 4, 5:
		return capitalize(strings.Join(fakeWords(2+rng.IntN(3)), " ")) + " | " + v.pick(rng, v.zh)
	default:
		return capitalize(strings.Join(fakeWords(2+rng.IntN(4)), " "))
	}
}

// desc is 100..400 runes; four in ten mix in Chinese so that byte and rune lengths
// differ and truncating at 80 runes is observable.
func (v *vocab) desc(rng *rand.Rand) string {
	target := 101 + rng.IntN(300)
	zh := rng.IntN(10) < 4
	var b strings.Builder
	b.Grow(3 * target)
	for runes := 0; runes < target; {
		if zh && rng.IntN(2) == 0 {
			p := v.pick(rng, v.zh)
			b.WriteString(p)
			b.WriteString("，")
			runes += utf8.RuneCountInString(p) + 1
		} else {
			runes += writeSentence(&b, rng) + 1
			b.WriteByte(' ')
		}
	}
	s, cut := b.String(), 0
	for range target {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	return strings.TrimRight(s[:cut], " ")
}

func (v *vocab) tagList(rng *rand.Rand) []string {
	n := 1 + rng.IntN(4)
	tags := make([]string, 0, n)
	for len(tags) < n {
		t := faker.Word()
		if rng.IntN(2) == 0 {
			t = v.pick(rng, v.tags)
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

// imageURL is a CDN URL; one in five is plain http, which the mini-program must not get.
func imageURL(rng *rand.Rand, kind string) string {
	scheme := "https"
	if rng.IntN(5) == 0 {
		scheme = "http"
	}
	return fmt.Sprintf("%s://i0.hdslb.example/bfs/%s/%016x%016x%08x.jpg",
		scheme, kind, rng.Uint64(), rng.Uint64(), rng.Uint32())
}

// duration in seconds, 10..7200, most videos a few minutes long.
func duration(rng *rand.Rand) int64 {
	switch r := rng.IntN(100); {
	case r < 15:
		return 10 + rng.Int64N(50)
	case r < 60:
		return 60 + rng.Int64N(540)
	case r < 90:
		return 600 + rng.Int64N(1200)
	default:
		return 1800 + rng.Int64N(5401)
	}
}

// owner skews uploads: mids 1..10 are prolific (~100 archives each), 11..100 busy,
// the rest have a few or none, so ListByOwner paging and empty lists both occur.
func owner(rng *rand.Rand, accounts int) int64 {
	switch r := rng.IntN(100); {
	case r < 10:
		return 1 + rng.Int64N(10)
	case r < 30:
		return 11 + rng.Int64N(90)
	default:
		return 1 + rng.Int64N(int64(accounts))
	}
}

// stat spreads views log-uniformly over 0..5e8 (every display unit occurs: plain,
// K, M, 万, 亿) and derives the other counters as per-mille ratios of views.
func stat(rng *rand.Rand) *statv1.Stat {
	view := int64(0)
	if rng.IntN(100) > 0 {
		if dec := rng.IntN(9); dec < 8 {
			view = logIntDecade(rng, dec)
		} else {
			view = 100_000_000 + rng.Int64N(400_000_001)
		}
	}
	ratio := func(lo, hi int64) int64 { return view * (lo + rng.Int64N(hi-lo+1)) / 10000 }
	return &statv1.Stat{
		View:     view,
		Danmaku:  ratio(5, 200),
		Reply:    ratio(2, 50),
		Favorite: ratio(50, 500),
		Coin:     ratio(10, 300),
		Share:    ratio(5, 100),
		Like:     ratio(100, 1000),
	}
}

// logInt is uniform over decades [1, 10^decades): each decade equally likely.
func logInt(rng *rand.Rand, decades int) int64 { return logIntDecade(rng, rng.IntN(decades)) }

func logIntDecade(rng *rand.Rand, dec int) int64 {
	lo := int64(1)
	for range dec {
		lo *= 10
	}
	return lo + rng.Int64N(9*lo)
}

// zeroOr returns 0 with probability pct% and x otherwise.
func zeroOr(rng *rand.Rand, pct int, x int64) int64 {
	if rng.IntN(100) < pct {
		return 0
	}
	return x
}
