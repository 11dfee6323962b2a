package dataset

import (
	"fmt"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	statv1 "mosaic/clients/stat/v1"
)

// The Update methods change an entity as the mock services will serve it
// from then on, so that a test can see whether a cache in front of them
// serves the change (and when). fn gets a copy of the entity; the copy
// replaces the entity atomically, so a concurrent reader sees it whole,
// before or after. They fail on an unknown ID and on a Shared dataset.

// UpdateArchive changes archive aid. fn may change anything but what the
// indexes were built from (aid, owner, pubdate, state): changing those fails
// and leaves the archive as it was.
func (d *Dataset) UpdateArchive(aid int64, fn func(*archivev1.Archive)) error {
	return update(d, d.archives, aid, d.archiveAt, func(a *archivev1.Archive) error {
		fn(a)
		sk := d.skel[aid-1]
		if a.GetAid() != aid || a.GetOwnerMid() != sk.owner || a.GetPubdate() != sk.pubdate || a.GetState() != sk.state {
			return fmt.Errorf("dataset: archive %d: aid, owner, pubdate and state are indexed and cannot change", aid)
		}
		return nil
	})
}

// UpdateStat changes the counters of archive aid.
func (d *Dataset) UpdateStat(aid int64, fn func(*statv1.Stat)) error {
	return update(d, d.stats, aid, d.statAt, func(s *statv1.Stat) error { fn(s); return nil })
}

// UpdateProfile changes the profile of account mid; fn must not change mid.
func (d *Dataset) UpdateProfile(mid int64, fn func(*accountv1.Profile)) error {
	return update(d, d.profiles, mid, d.profileAt, func(p *accountv1.Profile) error {
		fn(p)
		if p.GetMid() != mid {
			return fmt.Errorf("dataset: profile %d: mid cannot change", mid)
		}
		return nil
	})
}

func update[E any, M interface {
	*E
	proto.Message
}](d *Dataset, slots []atomic.Pointer[E], id int64, gen func(int64) *E, fn func(M) error) error {
	if d.shared {
		return errShared
	}
	if id < 1 || id > int64(len(slots)) {
		return fmt.Errorf("dataset: no entity %d (1 to %d)", id, len(slots))
	}
	d.updates.Lock()
	defer d.updates.Unlock()
	slot := &slots[id-1]
	next := proto.Clone(M(load(slot, func() *E { return gen(id) }))).(M)
	if err := fn(next); err != nil {
		return err
	}
	slot.Store((*E)(next))
	return nil
}
