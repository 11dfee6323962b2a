// Package dataset is the seeded fake world the mock services serve: archives,
// their stats, accounts, follow relations, feeds and replies, the same bytes
// for the same seed on every run and architecture. It knows nothing of gRPC.
package dataset

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bxcodec/faker/v3"
	"google.golang.org/protobuf/proto"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	statv1 "mosaic/clients/stat/v1"
)

// Config is the shape of a generated world: aids are 1..Archives, mids
// 1..Accounts.
type Config struct {
	Archives, Accounts int
}

// Classic is the world the goldens were recorded on: 10,000 archives and
// 2,000 accounts.
func Classic() Config { return Config{Archives: 10000, Accounts: 2000} }

// MaxBatch is the most IDs a batch method of the mock services accepts, and
// the largest ps or n the dataset answers. It is the services' limit, stated
// here independently of the BFF's own, so that a BFF that forgets to chunk
// fails against the mocks.
const MaxBatch = 50

// Pubdates fall in [2024-01-01, 2027-01-01) UTC; replies are made before the end.
const (
	pubFrom = 1704067200
	pubTo   = 1798761600
)

// PCG stream selectors, so the data rng and the faker rng never share a sequence.
const (
	streamData  = 0x6d6f73616963 // "mosaic"
	streamFaker = 0x66616b6572   // "faker"
)

// Dataset is an immutable fake world generated from a seed. All methods are safe
// for concurrent use and return values the caller owns.
//
// Everything is integer arithmetic over math/rand/v2 PCG and faker's seeded source:
// no floats (Go may fuse multiply-adds on arm64), no map iteration, no clock, so a
// seed gives byte-identical data on every run and architecture.
type Dataset struct {
	seed       uint64
	cfg        Config
	archives   []*archivev1.Archive // index aid-1
	stats      []*statv1.Stat       // index aid-1
	profiles   []*accountv1.Profile // index mid-1
	counts     []*relationv1.FollowerCount
	byOwner    [][]int64 // index mid-1: aids, newest pubdate first
	visible    []int64   // ascending
	hidden     []int64   // ascending
	replyTexts []string  // pool for lazily generated replies
}

// vocab is the non-faker text material, split from constants per build.
type vocab struct {
	zh, prefixes, tags, officials []string
}

// New generates the world of cfg for seed. It holds the faker lock while it
// runs (well under a second for Classic), so concurrent calls serialise.
func New(seed int64, cfg Config) *Dataset {
	d := &Dataset{seed: uint64(seed), cfg: cfg}
	v := vocab{
		zh:        strings.Fields(zhText),
		prefixes:  strings.Fields(titlePrefixes),
		tags:      strings.Fields(zhTags),
		officials: strings.Split("bilibili 知名UP主|bilibili 2025百大UP主|科技领域优质创作者|Official account|Verified musician", "|"),
	}
	rng := rand.New(rand.NewPCG(d.seed, streamData))

	d.generate(rng, &v)
	d.index()
	return d
}

// generate draws everything random, sequentially, under the faker lock. faker's
// source is left seeded afterwards; nothing outside this package may use faker.
func (d *Dataset) generate(rng *rand.Rand, v *vocab) {
	fakerMu.Lock()
	defer fakerMu.Unlock()
	registerProviders()
	faker.SetGenerateUniqueValues(false) // its unique cache is global and unbounded
	faker.SetRandomSource(fakerSource{rand.NewPCG(d.seed, streamFaker)})
	d.genAccounts(rng, v)
	d.genArchives(rng, v)
	d.genReplyTexts(rng, v)
}

func (d *Dataset) genAccounts(rng *rand.Rand, v *vocab) {
	d.profiles = make([]*accountv1.Profile, d.cfg.Accounts)
	d.counts = make([]*relationv1.FollowerCount, d.cfg.Accounts)
	for i := range d.profiles {
		var fp fakeProfile
		must(faker.FakeData(&fp))
		p := &accountv1.Profile{
			Mid:      int64(i + 1),
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
		d.profiles[i] = p
		d.counts[i] = &relationv1.FollowerCount{
			Follower:  zeroOr(rng, 2, logInt(rng, 8)), // up to 1e8
			Following: int64(rng.IntN(rng.IntN(2000) + 1)),
		}
	}
}

func (d *Dataset) genArchives(rng *rand.Rand, v *vocab) {
	d.archives = make([]*archivev1.Archive, d.cfg.Archives)
	d.stats = make([]*statv1.Stat, d.cfg.Archives)
	for i := range d.archives {
		a := &archivev1.Archive{
			Aid:       int64(i + 1),
			Title:     v.title(rng),
			Desc:      v.desc(rng),
			Cover:     imageURL(rng, "archive"),
			DurationS: duration(rng),
			Pubdate:   pubFrom + rng.Int64N(pubTo-pubFrom),
			OwnerMid:  owner(rng, d.cfg.Accounts),
			Tags:      v.tagList(rng),
		}
		if rng.IntN(100) < 3 {
			a.State = [...]int32{-1, -1, -1, -2, -4}[rng.IntN(5)]
		}
		d.archives[i] = a
		d.stats[i] = stat(rng)
	}
}

func (d *Dataset) genReplyTexts(rng *rand.Rand, v *vocab) {
	d.replyTexts = make([]string, 512)
	for i := range d.replyTexts {
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			d.replyTexts[i] = v.pick(rng, v.zh) + "！" + v.pick(rng, v.zh)
		case 4, 5, 6:
			d.replyTexts[i] = fakeSentence(rng)
		default:
			d.replyTexts[i] = v.pick(rng, v.zh) + " " + fakeSentence(rng)
		}
	}
}

// index builds the derived lookups; it needs no randomness.
func (d *Dataset) index() {
	d.byOwner = make([][]int64, d.cfg.Accounts)
	for _, a := range d.archives {
		d.byOwner[a.OwnerMid-1] = append(d.byOwner[a.OwnerMid-1], a.Aid)
		if a.State == 0 {
			d.visible = append(d.visible, a.Aid)
		} else {
			d.hidden = append(d.hidden, a.Aid)
		}
	}
	for _, aids := range d.byOwner {
		slices.SortFunc(aids, func(x, y int64) int { // newest first, ties by aid
			return cmp.Or(cmp.Compare(d.archives[y-1].Pubdate, d.archives[x-1].Pubdate), cmp.Compare(y, x))
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

func (d *Dataset) archive(aid int64) *archivev1.Archive {
	if aid < 1 || aid > int64(len(d.archives)) {
		return nil
	}
	return d.archives[aid-1]
}

// HasMid reports whether mid is an account of the dataset.
func (d *Dataset) HasMid(mid int64) bool { return mid >= 1 && mid <= int64(len(d.profiles)) }

// HasAid reports whether aid is an archive of the dataset, hidden or not.
func (d *Dataset) HasAid(aid int64) bool { return d.archive(aid) != nil }

// Seed is the seed the dataset was built from.
func (d *Dataset) Seed() int64 { return int64(d.seed) }

// Config is the shape the dataset was built with.
func (d *Dataset) Config() Config { return d.cfg }

// Archive returns a copy of the archive, hidden or not.
func (d *Dataset) Archive(aid int64) (*archivev1.Archive, bool) {
	a := d.archive(aid)
	if a == nil {
		return nil, false
	}
	return proto.Clone(a).(*archivev1.Archive), true
}

// Stat returns a copy of the archive's counters.
func (d *Dataset) Stat(aid int64) (*statv1.Stat, bool) {
	if d.archive(aid) == nil {
		return nil, false
	}
	return proto.Clone(d.stats[aid-1]).(*statv1.Stat), true
}

// Profile returns a copy of the account's profile, private fields included.
func (d *Dataset) Profile(mid int64) (*accountv1.Profile, bool) {
	if !d.HasMid(mid) {
		return nil, false
	}
	return proto.Clone(d.profiles[mid-1]).(*accountv1.Profile), true
}

// FollowerCount returns a copy of the account's follow counts.
func (d *Dataset) FollowerCount(mid int64) (*relationv1.FollowerCount, bool) {
	if !d.HasMid(mid) {
		return nil, false
	}
	return proto.Clone(d.counts[mid-1]).(*relationv1.FollowerCount), true
}

// VisibleAids returns the aids with state 0, ascending.
func (d *Dataset) VisibleAids() []int64 { return slices.Clone(d.visible) }

// HiddenAids returns the aids with state != 0, ascending.
func (d *Dataset) HiddenAids() []int64 { return slices.Clone(d.hidden) }

// Mids returns every account's mid, ascending.
func (d *Dataset) Mids() []int64 {
	mids := make([]int64, len(d.profiles))
	for i := range mids {
		mids[i] = int64(i + 1)
	}
	return mids
}
