package conn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"mosaic/clients/contract"
	"mosaic/internal/reqid"
)

// lateSlack is how late the BFF may notice its own per-call timeout before
// the lateness itself says the BFF was starved: an idle process wakes a
// goroutine within a millisecond or two; tens of milliseconds mean its
// goroutines were queueing for a CPU, and a call that timed out then may
// have been answered in time and read too late.
const lateSlack = 10 * time.Millisecond

// caller is the one interceptor every downstream call of a service goes
// through. Its steps, in order: the throttle may refuse the call; metadata
// (color, mock scenario) is attached; the per-call timeout starts; the call
// runs (grpc retries UNAVAILABLE inside it); the throttle, Server-Timing and
// the metrics learn how it went. One interceptor rather than a chain of
// five keeps the hot path shallow: every scene step runs it on a fresh
// goroutine whose stack would otherwise grow through every layer.
type caller struct {
	service  string
	throttle *throttle // the baseline lane's; its metrics are the service's
	lanes    lanes     // the colored lanes'

	metrics         *serviceMetrics // nil without Options.Metrics
	timeout         time.Duration
	forwardScenario bool
	// starved reports whether the BFF itself lately lacked CPU; nil means
	// only the call's own lateness can tell.
	starved func() bool
	// slack replaces lateSlack when set: a test that needs a prompt
	// timeout blamed on the service sets it past any stall of its machine.
	slack time.Duration

	logger     *slog.Logger                  // nil without Options.Logger
	propagator propagation.TextMapPropagator // set when no client span carries the trace
}

func (c *caller) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	start := time.Now()
	// A call carrying an injected fault is one developer's tool: it must
	// neither teach the shared throttle that the service fails nor be
	// refused because of what other calls taught it.
	shared := !c.scenario(ctx)
	throttle := c.throttle
	if color := Color(ctx); color != "" {
		throttle = c.lanes.of(color)
	}
	if shared && !throttle.allow() {
		err := fmt.Errorf("%s: %w", c.service, ErrCircuitOpen)
		c.observe(ctx, method, req, start, err, failed, nil)
		return err
	}
	recorded := !shared
	defer func() {
		// The invoker panicked (the step's guard recovers it): the call
		// still ends its time in flight, or its lane is never quiet.
		if !recorded {
			throttle.record(callerDone)
		}
	}()
	callCtx := c.outgoing(ctx)
	if d := timeout(ctx, c.timeout); d > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(callCtx, d)
		defer cancel()
	}
	// Which instance answered (the last attempt's, with retries): a
	// failure line that names only the service leaves the operator to
	// guess which of its instances to look at.
	var p peer.Peer
	err := invoker(callCtx, method, req, reply, cc, append(opts[:len(opts):len(opts)], grpc.Peer(&p))...)
	// Decided once, so that the log line says what the throttle was told.
	o := c.blame(ctx, callCtx, err)
	if shared {
		throttle.record(o)
		recorded = true
	}
	c.observe(ctx, method, req, start, err, o, p.Addr)
	return err
}

// scenario: the call carries a mock fault scenario to the downstream.
func (c *caller) scenario(ctx context.Context) bool {
	s := Scenario(ctx)
	return c.forwardScenario && s != ""
}

// blame decides what a finished call says about the service. Only the
// service's own failures count against it; what the caller did to the
// call does not:
//   - the caller's context ended (the scene's deadline, used up by earlier
//     steps, or the client went away), or the call timed out under the
//     caller's deadline rather than its own per-call timeout;
//   - the call was cancelled locally;
//   - the BFF's own per-call timeout fired while the BFF was starved of
//     CPU: the answer may have arrived in time and sat unread, or the
//     request may have left late. A slow service and a starved caller look
//     the same from one call's wall time, so the starved side is told by
//     two signals the call can see: how late this goroutine woke for its
//     own timeout (lateSlack), and the process-wide starved signal (the Go
//     scheduler's run-queue latency, see Options.Starved).
//
// A call that got an answer, even "not found" or "invalid argument", is an
// accepted call: the service is up.
func (c *caller) blame(ctx, callCtx context.Context, err error) outcome {
	switch {
	case err == nil:
		return accepted
	case status.Code(err) == codes.Canceled:
		return callerDone
	case timedOut(err):
		// Whose deadline it was is read from the deadlines, not from
		// whether the caller's has passed by now: on a busy process it
		// may have, a moment after the call's own fired.
		if callersDeadline(ctx, callCtx) {
			return callerDone
		}
		if c.wasStarved(callCtx) {
			return bffStarved
		}
		return failed
	case ctx.Err() != nil:
		return callerDone
	case !serviceFault(err):
		return accepted
	}
	return failed
}

// callersDeadline: the deadline the call ran under was the caller's, not
// the per-call timeout. The caller's context may not show it yet: the
// deadline travels with the call, and the service's copy of it can fire
// and answer DeadlineExceeded a moment before ours does.
func callersDeadline(ctx, callCtx context.Context) bool {
	pd, ok := ctx.Deadline()
	cd, _ := callCtx.Deadline()
	return ok && !pd.After(cd)
}

func timedOut(err error) bool {
	return status.Code(err) == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded)
}

// wasStarved: this goroutine saw its own deadline late, or the process says
// it has lately been short of CPU.
func (c *caller) wasStarved(callCtx context.Context) bool {
	if dl, ok := callCtx.Deadline(); ok && time.Since(dl) > cmp.Or(c.slack, lateSlack) {
		return true
	}
	return c.starved != nil && c.starved()
}

// outgoing attaches the request's id, traffic color and (when tracing is
// off) the caller's trace, and in mock mode only its fault scenario, as
// gRPC metadata, in one append.
func (c *caller) outgoing(ctx context.Context) context.Context {
	kv := make([]string, 0, 6)
	if id := reqid.From(ctx); id != "" {
		kv = append(kv, reqid.MetadataKey, id)
	}
	if color := Color(ctx); color != "" {
		kv = append(kv, contract.ColorKey, color)
	}
	if scenario := Scenario(ctx); c.forwardScenario && scenario != "" {
		kv = append(kv, contract.ScenarioKey, scenario)
	}
	kv = append(kv, injected(ctx, c.propagator)...)
	if len(kv) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

// observe records a finished call; starved says a timeout came while the
// BFF itself was short of CPU, for the log line.
func (c *caller) observe(ctx context.Context, method string, req any, start time.Time, err error, o outcome, addr net.Addr) {
	took := time.Since(start)
	if t, ok := ctx.Value(timingsKey).(*Timings); ok {
		t.add(c.service, method, took)
	}
	c.metrics.observe(method, req, took, err)
	c.logFailure(ctx, method, req, took, err, o, addr)
}
