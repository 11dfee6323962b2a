package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic/clients"
	"mosaic/clients/cache"
)

// Cache configures the entity caches in front of the viewer-independent
// reads (archives, profiles, stats; docs/ARCHITECTURE.md, "Entity
// caches"). cmd/bff's -cache flags fill it.
type Cache struct {
	// On puts the caches in front of the reads; off, every read calls the
	// downstream, as before there were caches.
	On bool
	// ArchiveFresh, AccountFresh and StatFresh are how long an entry of
	// each answers without a downstream call.
	ArchiveFresh, AccountFresh, StatFresh time.Duration
	// Stale is how long past its freshness an entry still answers when the
	// downstream fails: the section is then listed degraded as stale.
	Stale time.Duration
	// Negative is how long the absence of an ID is remembered.
	Negative time.Duration
	// MB bounds the memory the three caches cost the process, in MiB:
	// their entries take half of it (of which half for archives, a
	// quarter each for profiles and stats), and the other half is the
	// collector's room. Entries filling the whole bound measured a GC
	// running without pause under cmd/bff's soft memory limit (bound +
	// 32 MB): the video page at 0.67× the floor's throughput in the
	// skewed bench, against 0.93× without caches.
	MB int
}

// maxCacheMB is a terabyte: past it the bound is a typo, and far past it
// the bytes would overflow.
const maxCacheMB = 1 << 20

// Validate names what is wrong, in the words of cmd/bff's flags.
func (c Cache) Validate() error {
	if !c.On {
		return nil
	}
	switch {
	case c.ArchiveFresh <= 0 || c.AccountFresh <= 0 || c.StatFresh <= 0:
		return errors.New("-cache-archive-fresh, -cache-account-fresh and -cache-stat-fresh must be positive")
	case c.Stale < 0 || c.Negative < 0:
		return errors.New("-cache-stale and -cache-negative must not be negative")
	case c.MB < 2 || c.MB > maxCacheMB:
		// The entries get half of it (caches below), and the clients
		// refuse less than 1 MB for them.
		return fmt.Errorf("-cache-mb must be from 2 to %d", maxCacheMB)
	}
	return nil
}

// caches are the clients' cache settings, their metrics registered on reg;
// nil when the caches are off.
func (c Cache) caches(reg prometheus.Registerer) *clients.Caches {
	if !c.On {
		return nil
	}
	return &clients.Caches{
		Fresh: map[string]time.Duration{
			clients.Archive: c.ArchiveFresh,
			clients.Account: c.AccountFresh,
			clients.Stat:    c.StatFresh,
		},
		Stale:    c.Stale,
		Negative: c.Negative,
		MaxBytes: int64(c.MB) << 20 / 2,
		Metrics:  cache.NewMetrics(reg),
	}
}
