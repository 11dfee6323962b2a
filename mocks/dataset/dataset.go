// Package dataset is the seeded fake world the mock services serve: archives,
// their stats, accounts, follow relations, feeds and replies, the same bytes
// for the same seed on every run and architecture. It knows nothing of gRPC.
package dataset

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

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
	// Zipf is the exponent of the popularity Recommend draws from: the
	// archive of popularity rank r (from 1) comes with weight 1/r^Zipf, the
	// ranking the same for every viewer. 0 is the Classic feed: a keyed
	// permutation of the visible archives per viewer, nothing more popular
	// than anything else.
	Zipf float64
	// PerID generates each entity on first use from a seed derived from its
	// ID, so that a large world costs only what is asked of it. Otherwise
	// the world is drawn up front in one seeded sequence, as the Classic one
	// was recorded. The two layouts give different data for the same seed.
	PerID bool
}

// Classic is the world the goldens were recorded on: 10,000 archives, 2,000
// accounts, a uniform feed, drawn up front in one sequence.
func Classic() Config { return Config{Archives: 10000, Accounts: 2000} }

// Skewed is a catalogue large enough for caching to matter: 100,000
// archives, 20,000 accounts, a Zipf(1.0) feed, generated per ID.
func Skewed() Config { return Config{Archives: 100_000, Accounts: 20_000, Zipf: 1.0, PerID: true} }

// Limits of a Config.
const (
	MinArchives = 200        // enough visible ones for a full page of Recommend and Related
	MaxArchives = 10_000_000 // the skeletons alone take 24 bytes each
	MaxAccounts = 10_000_000
	MaxZipf     = 10.0
)

// Validate reports what is wrong with c, naming the field.
func (c Config) Validate() error {
	switch {
	case c.Archives < MinArchives || c.Archives > MaxArchives:
		return fmt.Errorf("archives: %d, want %d to %d", c.Archives, MinArchives, MaxArchives)
	case c.Accounts < 1 || c.Accounts > MaxAccounts:
		return fmt.Errorf("accounts: %d, want 1 to %d", c.Accounts, MaxAccounts)
	case !(c.Zipf >= 0 && c.Zipf <= MaxZipf): // also refuses NaN
		return fmt.Errorf("zipf: %v, want 0 (uniform) to %v", c.Zipf, MaxZipf)
	}
	return nil
}

// PCG stream selectors, so the data rng and the faker rng never share a sequence.
const (
	streamData  = 0x6d6f73616963 // "mosaic"
	streamFaker = 0x66616b6572   // "faker"
)

// Dataset is a fake world generated from a seed. All methods are safe for
// concurrent use and return values the caller owns. Entities change only
// through the Update methods; everything else is fixed at New.
//
// The data is integer arithmetic over math/rand/v2 PCG and faker's seeded
// source: no map iteration, no clock, and floats only in the Zipf table, so a
// seed gives the same data on every run (and, Zipf aside, every architecture).
type Dataset struct {
	seed   uint64
	cfg    Config
	vocab  vocab
	shared bool // built by Shared: read-only

	archives []atomic.Pointer[archivev1.Archive] // index aid-1; nil until generated
	stats    []atomic.Pointer[statv1.Stat]       // index aid-1
	profiles []atomic.Pointer[accountv1.Profile] // index mid-1
	counts   []atomic.Pointer[relationv1.FollowerCount]
	skel     []skeleton // index aid-1

	byOwner    [][]int64 // index mid-1: aids, newest pubdate first
	visible    []int64   // ascending
	hidden     []int64   // ascending
	replyTexts []string  // pool for lazily generated replies
	popular    *zipf     // nil: the Classic uniform feed

	updates sync.Mutex // one Update at a time, so none is lost
}

// skeleton is what the indexes need of an archive.
type skeleton struct {
	owner, pubdate int64
	state          int32
}

// New generates the world of cfg for seed; it panics if cfg is not valid
// (Validate). A sequential world holds the faker lock while it is drawn
// (about 0.15 s for Classic), so concurrent calls serialise.
func New(seed int64, cfg Config) *Dataset {
	if err := cfg.Validate(); err != nil {
		panic("dataset: " + err.Error())
	}
	d := &Dataset{
		seed: uint64(seed), cfg: cfg, vocab: newVocab(),
		archives: make([]atomic.Pointer[archivev1.Archive], cfg.Archives),
		stats:    make([]atomic.Pointer[statv1.Stat], cfg.Archives),
		profiles: make([]atomic.Pointer[accountv1.Profile], cfg.Accounts),
		counts:   make([]atomic.Pointer[relationv1.FollowerCount], cfg.Accounts),
		skel:     make([]skeleton, cfg.Archives),
	}
	if cfg.PerID {
		d.generateSkeletons()
	} else {
		d.generateSequence()
	}
	d.index()
	if cfg.Zipf > 0 {
		d.popular = newZipf(len(d.visible), cfg.Zipf, mix(d.seed, domPopular))
	}
	return d
}

// load returns the entity in slot, generating it with gen on first use.
// Generation is deterministic, so when two callers race the first store
// wins and both return it.
func load[E any](slot *atomic.Pointer[E], gen func() *E) *E {
	if e := slot.Load(); e != nil {
		return e
	}
	slot.CompareAndSwap(nil, gen())
	return slot.Load()
}

// clone returns a copy of the entity of id in slots, or false if id is out
// of range.
func clone[E any, M interface {
	*E
	proto.Message
}](slots []atomic.Pointer[E], id int64, gen func(int64) *E) (M, bool) {
	if id < 1 || id > int64(len(slots)) {
		return nil, false
	}
	e := load(&slots[id-1], func() *E { return gen(id) })
	return proto.Clone(M(e)).(M), true
}

// HasMid reports whether mid is an account of the dataset.
func (d *Dataset) HasMid(mid int64) bool { return mid >= 1 && mid <= int64(d.cfg.Accounts) }

// HasAid reports whether aid is an archive of the dataset, hidden or not.
func (d *Dataset) HasAid(aid int64) bool { return aid >= 1 && aid <= int64(d.cfg.Archives) }

// Seed is the seed the dataset was built from.
func (d *Dataset) Seed() int64 { return int64(d.seed) }

// Config is the shape the dataset was built with.
func (d *Dataset) Config() Config { return d.cfg }

// Archive returns a copy of the archive, hidden or not.
func (d *Dataset) Archive(aid int64) (*archivev1.Archive, bool) {
	return clone[archivev1.Archive, *archivev1.Archive](d.archives, aid, d.archiveAt)
}

// Stat returns a copy of the archive's counters.
func (d *Dataset) Stat(aid int64) (*statv1.Stat, bool) {
	return clone[statv1.Stat, *statv1.Stat](d.stats, aid, d.statAt)
}

// Profile returns a copy of the account's profile, private fields included.
func (d *Dataset) Profile(mid int64) (*accountv1.Profile, bool) {
	return clone[accountv1.Profile, *accountv1.Profile](d.profiles, mid, d.profileAt)
}

// FollowerCount returns a copy of the account's follow counts.
func (d *Dataset) FollowerCount(mid int64) (*relationv1.FollowerCount, bool) {
	return clone[relationv1.FollowerCount, *relationv1.FollowerCount](d.counts, mid, d.countAt)
}

// VisibleAids returns the aids with state 0, ascending.
func (d *Dataset) VisibleAids() []int64 { return slices.Clone(d.visible) }

// HiddenAids returns the aids with state != 0, ascending.
func (d *Dataset) HiddenAids() []int64 { return slices.Clone(d.hidden) }

// Mids returns every account's mid, ascending.
func (d *Dataset) Mids() []int64 {
	mids := make([]int64, d.cfg.Accounts)
	for i := range mids {
		mids[i] = int64(i + 1)
	}
	return mids
}

// errShared is Update's answer on a Shared dataset.
var errShared = errors.New("dataset: a Shared dataset is read-only (every test of the process sees it): build your own with New")
