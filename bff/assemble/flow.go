package assemble

import (
	"context"
	"fmt"
	"log/slog"
	"mosaic/bff/scene"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"mosaic/clients/freshness"
)

// flow runs one scene's downstream steps as a dataflow of typed futures. A
// step runs as soon as the futures it needs resolve: the root steps start
// when the flow is waited on, and a future that resolves hands on to the
// steps waiting for it, running the first on its own goroutine (whose
// stack has already grown through a gRPC call) and each other one on a
// goroutine of the errgroup. So a chain of calls costs one goroutine, and
// only the parallel branches cost more.
//
// A critical step's failure fails the flow and cancels the steps still
// running; an optional step's failure is recorded as a degraded section and
// only the steps that need its value see it.
type flow struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	g      errgroup.Group
	roots  []func()
	logger *slog.Logger // a step's panic, with its stack; nil: not logged

	mu       sync.Mutex
	failed   error
	degraded []scene.Degraded
}

func newFlow(ctx context.Context) *flow {
	ctx, cancel := context.WithCancelCause(ctx)
	return &flow{ctx: ctx, cancel: cancel}
}

// wait runs the flow to the end and returns the degraded sections and the
// first critical failure, as an *Error.
func (f *flow) wait() ([]scene.Degraded, error) {
	roots := f.roots
	f.roots = nil
	f.run(roots)
	f.g.Wait()
	f.cancel(nil)
	slices.SortFunc(f.degraded, func(a, b scene.Degraded) int { return strings.Compare(a.Section, b.Section) })
	return f.degraded, f.failed
}

// run runs steps now: the first on this goroutine, each other on its own.
func (f *flow) run(steps []func()) {
	if len(steps) == 0 {
		return
	}
	for _, s := range steps[1:] {
		f.g.Go(func() error { s(); return nil })
	}
	steps[0]()
}

func (f *flow) fail(err *Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed == nil {
		f.failed = err
		f.cancel(err)
	}
}

// degrade records a missing section once, whichever of its steps (or the
// steps they wait for) failed first.
func (f *flow) degrade(section string, err error) { f.degradeAs(section, ReasonOf(err)) }

// degradeAs records a section as degraded for reason, once per section.
// A failure outranks stale, whichever step of the section came first: a
// section one step left out is left out, though another showed it old.
func (f *flow) degradeAs(section, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, d := range f.degraded {
		if d.Section == section {
			if d.Reason == scene.ReasonStale && reason != scene.ReasonStale {
				f.degraded[i].Reason = reason
			}
			return
		}
	}
	f.degraded = append(f.degraded, scene.Degraded{Section: section, Reason: reason})
}

// step says what a failure of one step means to the scene.
type step struct {
	section  string
	critical bool
}

func critical(section string) step { return step{section: section, critical: true} }
func optional(section string) step { return step{section: section} }

// future is the value of one step.
type future[T any] struct {
	fl   *flow
	mu   sync.Mutex
	done bool
	val  T
	err  error
	next []func() // steps waiting for this one
}

func (f *future[T]) resolve(v T, err error) {
	f.mu.Lock()
	f.val, f.err, f.done = v, err, true
	next := f.next
	f.next = nil
	f.mu.Unlock()
	f.fl.run(next)
}

// onResolve runs fn once f has resolved.
func (f *future[T]) onResolve(fn func()) {
	f.mu.Lock()
	if !f.done {
		f.next = append(f.next, fn)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	fn()
}

// result is the step's outcome; call it only once f has resolved (in a step
// that waits for f, or after flow.wait).
func (f *future[T]) result() (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.val, f.err
}

// value is the step's value, or the zero value if it failed.
func (f *future[T]) value() T {
	v, _ := f.result()
	return v
}

// exec runs one step and resolves its future. Once the flow has failed,
// no further downstream call is made.
func exec[T any](fl *flow, fut *future[T], s step, fn func(context.Context) (T, error)) {
	var (
		v   T
		err = fl.ctx.Err()
	)
	if err == nil {
		ctx, mark := freshness.Watch(fl.ctx)
		v, err = guard(fl, ctx, s.section, fn)
		if err == nil && mark.Stale() {
			// Served from entries past their freshness bound because the
			// downstream failed: shown, and said to be old, critical or not.
			fl.degradeAs(s.section, scene.ReasonStale)
		}
	}
	if err != nil {
		if s.critical {
			fl.fail(&Error{Section: s.section, Reason: ReasonOf(err), Err: err})
		} else {
			fl.degrade(s.section, err)
		}
	}
	fut.resolve(v, err)
}

// start adds a step that needs nothing: it runs when the flow is waited on.
func start[T any](fl *flow, s step, fn func(context.Context) (T, error)) *future[T] {
	fut := &future[T]{fl: fl}
	fl.roots = append(fl.roots, func() { exec(fl, fut, s, fn) })
	return fut
}

// after adds a step that runs when in resolves, whether or not in failed.
func after[In, T any](fl *flow, s step, in *future[In], fn func(context.Context, In, error) (T, error)) *future[T] {
	fut := &future[T]{fl: fl}
	in.onResolve(func() {
		exec(fl, fut, s, func(ctx context.Context) (T, error) {
			v, err := in.result()
			return fn(ctx, v, err)
		})
	})
	return fut
}

// then adds a step on in's value. If in failed, so does this step, with the
// same cause.
func then[In, T any](fl *flow, s step, in *future[In], fn func(context.Context, In) (T, error)) *future[T] {
	return after(fl, s, in, func(ctx context.Context, v In, err error) (T, error) {
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(ctx, v)
	})
}

// after2 adds a step that runs when both a and b have resolved.
func after2[A, B, T any](fl *flow, s step, a *future[A], b *future[B], fn func(context.Context, A, error, B, error) (T, error)) *future[T] {
	fut := &future[T]{fl: fl}
	var pending atomic.Int32
	pending.Store(2)
	ready := func() {
		if pending.Add(-1) != 0 {
			return
		}
		exec(fl, fut, s, func(ctx context.Context) (T, error) {
			av, aerr := a.result()
			bv, berr := b.result()
			return fn(ctx, av, aerr, bv, berr)
		})
	}
	a.onResolve(ready)
	b.onResolve(ready)
	return fut
}

// guard runs fn, turning a panic into the step's error: a step may run on a
// goroutine of its own, where no HTTP recoverer would catch it, and one bad
// downstream answer must fail a section or a screen, not the process. The
// panic and its stack are logged here, where the stack is the step's: the
// section's error says only that it panicked, and the operator must not
// read a 503 "archive error" as the archive service's doing.
func guard[T any](fl *flow, ctx context.Context, section string, fn func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			if fl.logger != nil {
				fl.logger.ErrorContext(ctx, "scene step panicked", "section", section, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			}
			err = fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	return fn(ctx)
}
