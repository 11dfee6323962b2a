package scene

import (
	"context"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// flow runs one scene's downstream steps as a dataflow over an errgroup:
// each step is a goroutine that starts at once, waits for the futures it
// needs, and resolves its own. A critical step's failure fails the flow and
// cancels the rest; an optional step's failure is recorded as a degraded
// section and only its dependents see it.
type flow struct {
	g   *errgroup.Group
	ctx context.Context

	mu       sync.Mutex
	degraded []Degraded
}

func newFlow(ctx context.Context) *flow {
	g, ctx := errgroup.WithContext(ctx)
	return &flow{g: g, ctx: ctx}
}

// wait blocks until every step has finished and returns the first critical
// failure as an *Error.
func (f *flow) wait() ([]Degraded, error) {
	err := f.g.Wait()
	slices.SortFunc(f.degraded, func(a, b Degraded) int { return strings.Compare(a.Section, b.Section) })
	return f.degraded, err
}

// degrade records a missing section once, whichever of its steps (or the
// steps they wait for) failed first.
func (f *flow) degrade(section string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.degraded {
		if d.Section == section {
			return
		}
	}
	f.degraded = append(f.degraded, Degraded{Section: section, Reason: ReasonOf(err)})
}

// step says what a failure of one step means to the scene.
type step struct {
	section  string
	critical bool
}

func critical(section string) step { return step{section: section, critical: true} }
func optional(section string) step { return step{section: section} }

// future is the value of one step, available once done is closed.
type future[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// get waits for the step. Inside a step it is always safe: the step that
// resolves f was started before, and a failed critical step cancels the flow.
func (f *future[T]) get() (T, error) {
	<-f.done
	return f.val, f.err
}

// value returns the resolved value, or the zero value if the step failed.
// Only call it after flow.wait.
func (f *future[T]) value() T { return f.val }

// start runs fn as a step of fl.
func start[T any](fl *flow, s step, fn func(context.Context) (T, error)) *future[T] {
	fut := &future[T]{done: make(chan struct{})}
	fl.g.Go(func() error {
		defer close(fut.done)
		fut.val, fut.err = fn(fl.ctx)
		if fut.err == nil {
			return nil
		}
		if s.critical {
			return &Error{Section: s.section, Reason: ReasonOf(fut.err), Err: fut.err}
		}
		fl.degrade(s.section, fut.err)
		return nil
	})
	return fut
}

// then runs fn on in's value as soon as in resolves. If in failed, so does
// this step, with the same cause.
func then[In, T any](fl *flow, s step, in *future[In], fn func(context.Context, In) (T, error)) *future[T] {
	return start(fl, s, func(ctx context.Context) (T, error) {
		v, err := in.get()
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(ctx, v)
	})
}

// then2 runs fn once both a and b resolve.
func then2[A, B, T any](fl *flow, s step, a *future[A], b *future[B], fn func(context.Context, A, B) (T, error)) *future[T] {
	return start(fl, s, func(ctx context.Context) (T, error) {
		av, err := a.get()
		if err != nil {
			var zero T
			return zero, err
		}
		bv, err := b.get()
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(ctx, av, bv)
	})
}
