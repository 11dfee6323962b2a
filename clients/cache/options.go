package cache

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Options configure one loader. The zero value is invalid unless Off is set:
// a loader needs a bound, a freshness and the lane and scenario accessors.
type Options struct {
	// Off makes the loader a plain pass-through to fetch: nothing is kept,
	// shared or counted (-cache=off).
	Off bool
	// MaxEntries bounds the entries kept, all lanes together; the least
	// valuable are evicted past it (otter's W-TinyLFU). Set it or MaxBytes.
	MaxEntries int
	// MaxBytes bounds the memory the entries take instead, all lanes
	// together: each weighs Size of its value plus EntryOverhead, the
	// store's own structures per entry.
	MaxBytes int64
	// Size estimates the bytes a value holds in memory (required with
	// MaxBytes). It gets a V.
	Size func(v any) int
	// Fresh is how long an entry answers without a downstream call.
	Fresh time.Duration
	// Stale is how long past Fresh an entry may still answer when the
	// downstream call fails or the caller's deadline passes first; the
	// answer is reported in Result.Stale. 0: never.
	Stale time.Duration
	// Negative is how long the absence of an ID is remembered; 0: an
	// absent ID is asked for again on every read.
	Negative time.Duration
	// Jitter spreads each entry's freshness uniformly over ±Jitter of it,
	// so that entries filled together do not all expire in the same
	// instant; 0 means 0.1, a negative value none.
	Jitter float64
	// RefreshAhead is the last fraction of the freshness window in which a
	// read of a fresh entry starts one background refresh of it, so a hot
	// entry is renewed before it expires instead of missing; 0 means 0.2,
	// a negative value never.
	RefreshAhead float64
	// MaxRefreshes bounds the background refreshes running at once, for
	// the baseline lane and for the colored lanes each (a canary whose
	// calls hang must not keep the baseline's hot entries from being
	// refreshed); a read that finds them all busy starts none (a later
	// read may). 0 means 2.
	MaxRefreshes int
	// MaxBatch is the most IDs one call of fetch carries before the client
	// splits it into calls of its own; 0: no limit. Entries due for a
	// refresh ride on a read's call only while it stays within it: a
	// rider in a chunk of its own would be a second call, and its failure
	// the read's.
	MaxBatch int
	// Timeout is the per-call timeout of the client the loader calls
	// through. A call the loader runs detached from its callers (shared
	// calls and refreshes), to which no one caller's deadline applies,
	// ends at 1.5 × Timeout at the latest, so that the client's own
	// timeout fires first and is blamed on the service. 0 means 1 s.
	Timeout time.Duration
	// Lane is the traffic lane of a request; "" is the baseline.
	Lane func(context.Context) string
	// Scenario is the mock fault scenario a request carries; a request
	// with one bypasses the cache.
	Scenario func(context.Context) string
	// Metrics receives the loader's counts; nil counts into series no one
	// registered.
	Metrics *Metrics
	// Logger gets an ERROR line with the stack of a call that panicked:
	// its readers get an error, and the stack is on the loader's
	// goroutine, not theirs. nil: not logged.
	Logger *slog.Logger
	// Now is the clock; nil is time.Now. The loader measures only the
	// time since New on it (Time.Sub), which with time.Now is the
	// monotonic clock's: a step of the wall clock (NTP at boot, a VM
	// resumed) neither expires every entry at once nor, stepping back,
	// keeps them fresh for as long as it went back.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Jitter == 0 {
		o.Jitter = 0.1
	}
	if o.RefreshAhead == 0 {
		o.RefreshAhead = 0.2
	}
	if o.MaxRefreshes <= 0 {
		o.MaxRefreshes = 2
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	switch {
	case (o.MaxEntries > 0) == (o.MaxBytes > 0):
		errs = append(errs, errors.New("exactly one of MaxEntries and MaxBytes must be positive"))
	case o.MaxBytes > 0 && o.Size == nil:
		errs = append(errs, errors.New("MaxBytes needs Size"))
	}
	if o.Fresh <= 0 || o.Stale < 0 || o.Negative < 0 {
		errs = append(errs, errors.New("Fresh must be positive, Stale and Negative not negative"))
	}
	if o.Jitter >= 1 || o.RefreshAhead >= 1 {
		errs = append(errs, errors.New("Jitter and RefreshAhead must be below 1"))
	}
	if o.Lane == nil || o.Scenario == nil {
		errs = append(errs, errors.New("Lane and Scenario are required: without them a canary or a scenario would answer baseline traffic"))
	}
	return errors.Join(errs...)
}
