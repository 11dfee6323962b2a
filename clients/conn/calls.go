package conn

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"
)

type ctxKey int

const (
	colorKey ctxKey = iota
	scenarioKey
	timingsKey
	timeoutKey
)

// WithTimeout gives ctx's downstream calls a timeout of their own of d,
// when d is positive and shorter than the one they have: a budget a caller
// sets for one step. A call that outlives it is blamed on the service, as
// for its usual timeout; a deadline on ctx would be the caller's, which
// never counts against the service.
func WithTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, timeoutKey, d)
}

// timeout is the per-call timeout of ctx's calls, given own (0: none).
func timeout(ctx context.Context, own time.Duration) time.Duration {
	if d, ok := ctx.Value(timeoutKey).(time.Duration); ok && d > 0 && (own <= 0 || d < own) {
		return d
	}
	return own
}

// WithColor marks ctx's downstream calls with a traffic color.
func WithColor(ctx context.Context, color string) context.Context {
	if color == "" {
		return ctx
	}
	return context.WithValue(ctx, colorKey, color)
}

// WithScenario carries a mock fault scenario to the downstream calls of
// ctx; Dial forwards it only with Options.ForwardScenario.
func WithScenario(ctx context.Context, scenario string) context.Context {
	if scenario == "" {
		return ctx
	}
	return context.WithValue(ctx, scenarioKey, scenario)
}

// Color is the traffic color WithColor put in ctx, "" for baseline.
func Color(ctx context.Context) string { s, _ := ctx.Value(colorKey).(string); return s }

// Scenario is the mock fault scenario WithScenario put in ctx, "" for none.
func Scenario(ctx context.Context) string { s, _ := ctx.Value(scenarioKey).(string); return s }

// Timing is one downstream call as Server-Timing reports it.
type Timing struct {
	Name     string // "archive.BatchGetArchives"
	Duration time.Duration
}

// Timings collects the downstream calls of one request.
type Timings struct {
	mu    sync.Mutex
	calls []Timing
}

// WithTimings returns a ctx whose downstream calls are recorded in t.
func WithTimings(ctx context.Context, t *Timings) context.Context {
	return context.WithValue(ctx, timingsKey, t)
}

// Calls returns the recorded calls in completion order.
func (t *Timings) Calls() []Timing {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Timing(nil), t.calls...)
}

// Header renders t as a Server-Timing value: one entry per call.
func (t *Timings) Header() string {
	var b strings.Builder
	for i, c := range t.Calls() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
		b.WriteString(";dur=")
		b.WriteString(formatMillis(c.Duration))
	}
	return b.String()
}

func formatMillis(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

func (t *Timings) add(service, fullMethod string, took time.Duration) {
	_, name := splitMethod(fullMethod)
	t.mu.Lock()
	t.calls = append(t.calls, Timing{Name: service + "." + name, Duration: took})
	t.mu.Unlock()
}
