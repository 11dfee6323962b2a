package main

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"mosaic/bff/server"
)

// cacheHeadroom is the memory the Go runtime may manage beyond the caches'
// bound before it collects harder (softMemoryLimit): the rest of the heap,
// the garbage between collections, stacks and the runtime's own. The
// process's RSS adds what the runtime does not count, the binary's code and
// read-only data it has touched (25 MB measured, RssFile), so it stays
// under the bound plus 64 MB (TestRSSStaysWithinTheCacheBoundAfterAMillionIDs).
const cacheHeadroom = 32 << 20

// softMemoryLimit sets the Go runtime's soft memory limit to the caches'
// bound plus cacheHeadroom, unless GOMEMLIMIT sets one, and returns how to
// restore the one before. The caches keep up to their bound live: with the
// collector's default pacing (GOGC=100) the heap would grow to twice the
// live data before a collection, so a 64 MB cache would cost some 200 MB of
// RSS; with the limit, the collector runs as the total nears it instead.
// Without caches nothing big stays live and the default pacing is kept.
func softMemoryLimit(c server.Cache, getenv func(string) string) (restore func()) {
	if !c.On || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(int64(c.MB)<<20 + cacheHeadroom)
	return func() { debug.SetMemoryLimit(prev) }
}

// beside is what the process takes beyond the caches' bound: cacheHeadroom
// and the binary's touched code and data. TestRSSStaysWithinTheCacheBound-
// AfterAMillionIDs holds RSS under the bound plus this.
const beside = 64 << 20

// fitsContainer refuses a cache bound the container's memory limit cannot
// hold. The caches fill only as distinct IDs pass through, so a -cache-mb
// past the limit would start, pass its probes, and be killed by the kernel
// hours later under a wide enough load, every replica alike. limit is the
// cgroup's (memlimit.FromCgroup); when it cannot be read the check is
// skipped, with a warning unless there is simply no limit or no cgroup.
func fitsContainer(c server.Cache, limit func() (uint64, error), logger *slog.Logger) error {
	if !c.On {
		return nil
	}
	bytes, err := limit()
	switch {
	case errors.Is(err, memlimit.ErrNoLimit), errors.Is(err, memlimit.ErrNoCgroup), errors.Is(err, memlimit.ErrCgroupsNotSupported):
		return nil
	case err != nil:
		logger.Warn("the container's memory limit could not be read: -cache-mb is not checked against it", "error", err)
		return nil
	}
	need := uint64(c.MB)<<20 + beside
	if need <= bytes {
		return nil
	}
	most := int64(bytes>>20) - beside>>20
	hint := fmt.Sprintf("lower -cache-mb to at most %d or raise the limit", most)
	if most < 2 {
		hint = "raise the limit (or turn the caches off: -cache=false)"
	}
	return fmt.Errorf("-cache-mb %d and the %d MiB the process takes beside its caches need %d MiB, past the container's memory limit of %d MiB (cgroup): %s",
		c.MB, beside>>20, need>>20, bytes>>20, hint)
}
