// Package freshness lets a read tell the scene step that asked for it that
// part of its answer came from entries past their freshness bound: served
// because the downstream failed and stale beats nothing. The step then
// lists its section as degraded with reason stale, and a critical section
// served stale is still a 200 (docs/ARCHITECTURE.md, "Criticality").
//
// It travels in the context so that the typed clients keep their
// signatures: a cache deep in a client marks, the step reads.
package freshness

import (
	"context"
	"sync/atomic"
)

// Mark records whether any read under a context served stale entries.
type Mark struct{ stale atomic.Bool }

type key struct{}

// Watch returns a context whose reads report staleness to the returned Mark.
func Watch(ctx context.Context) (context.Context, *Mark) {
	m := new(Mark)
	return context.WithValue(ctx, key{}, m), m
}

// Stale reports that a read under ctx served stale entries. Without a
// Mark in ctx (no step is watching) it does nothing.
func Stale(ctx context.Context) {
	if m, ok := ctx.Value(key{}).(*Mark); ok {
		m.stale.Store(true)
	}
}

// Stale says whether any read under the Mark's context served stale entries.
func (m *Mark) Stale() bool { return m != nil && m.stale.Load() }
