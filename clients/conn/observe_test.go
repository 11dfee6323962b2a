package conn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"mosaic/clients/contract"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/leaktest"
	"mosaic/internal/reqid"
	"mosaic/internal/telemetry"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

const statMethod = "/stat.v1.StatService/BatchGetStats"

// A failed call is one warning naming the service, method, code, batch
// and the request it was made for; a call that succeeds writes nothing.
func TestFailureLineNamesTheRequest(t *testing.T) {
	var buf bytes.Buffer
	logger, _ := telemetry.NewLogger(&buf, "json", "info")
	th := newThrottle(BreakerSettings{MinRequests: 1, MaxRefusal: 1})
	draw := 1.0 // no refusal until the failure below
	th.chance = func() float64 { return draw }
	reg := prometheus.NewRegistry()
	c := &caller{service: "stat", throttle: th, logger: logger, metrics: NewMetrics(reg).forService("stat")}
	ctx := reqid.With(context.Background(), "req-42")
	req := &statv1.BatchGetStatsRequest{Aids: []int64{1, 2, 3}}
	c.intercept(ctx, statMethod, req, nil, nil, invoke(nil))
	if buf.Len() != 0 {
		t.Fatalf("a successful call was logged: %s", buf.String())
	}
	c.intercept(ctx, statMethod, req, nil, nil, invoke(status.Error(codes.Unavailable, "down")))
	c.intercept(ctx, statMethod, req, nil, nil, invoke(status.Error(codes.Unavailable, "down")))
	draw = 0                                                 // refuse whenever the ratio allows
	c.intercept(ctx, statMethod, req, nil, nil, invoke(nil)) // refused: the throttle is on
	// The series counts each under its code, the refusal as circuit_open.
	want := `
# HELP bff_downstream_calls_total Downstream gRPC calls by service, method and status code (circuit_open: refused locally by the service's adaptive throttle).
# TYPE bff_downstream_calls_total counter
bff_downstream_calls_total{code="OK",method="BatchGetStats",service="stat"} 1
bff_downstream_calls_total{code="Unavailable",method="BatchGetStats",service="stat"} 2
bff_downstream_calls_total{code="circuit_open",method="BatchGetStats",service="stat"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "bff_downstream_calls_total"); err != nil {
		t.Error(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, code := range []string{"Unavailable", "Unavailable", "circuit_open"} {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"level": "WARN", "msg": "downstream call failed", "service": "stat", "method": "BatchGetStats",
			"code": code, "batch": 3.0, "request_id": "req-42"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
		if _, ok := got["duration_ms"].(float64); !ok {
			t.Errorf("line %d lacks duration_ms: %v", i, got)
		}
	}
}

// A call that timed out while the BFF was short of CPU says so on its line
// (bff_starved), as the throttle does not hold it against the service; a
// timeout with the BFF well and other failures do not.
func TestAStarvedTimeoutSaysSoOnItsLine(t *testing.T) {
	var buf bytes.Buffer
	logger, _ := telemetry.NewLogger(&buf, "json", "info")
	starved := true
	c := &caller{service: "stat", throttle: newThrottle(BreakerSettings{}), timeout: 50 * time.Millisecond, logger: logger,
		starved: func() bool { return starved }}
	c.intercept(context.Background(), statMethod, nil, nil, nil, hang)
	c.intercept(context.Background(), statMethod, nil, nil, nil, invoke(status.Error(codes.Unavailable, "down")))
	starved = false // and the service answers its own DeadlineExceeded at once
	c.intercept(context.Background(), statMethod, nil, nil, nil, invoke(status.Error(codes.DeadlineExceeded, "slow")))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, want := range []any{true, nil, nil} {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got["bff_starved"] != want {
			t.Errorf("line %d (%s): bff_starved %v, want %v", i, got["code"], got["bff_starved"], want)
		}
	}
}

// A call cut because its caller was done is logged at info: clients that
// leave make hundreds, and none says anything against the service. A call
// the service failed stays a warning.
func TestACallCutForItsCallerIsNoWarning(t *testing.T) {
	for _, tc := range []struct {
		level string
		want  []string // the lines' levels
	}{
		{"info", []string{"INFO", "WARN"}},
		{"warn", []string{"WARN"}},
	} {
		var buf bytes.Buffer
		logger, _ := telemetry.NewLogger(&buf, "json", tc.level)
		c := &caller{service: "stat", throttle: newThrottle(BreakerSettings{}), timeout: time.Second, logger: logger}
		ctx, hangUp := context.WithCancel(context.Background())
		hangUp()
		c.intercept(ctx, statMethod, nil, nil, nil, hang)
		c.intercept(context.Background(), statMethod, nil, nil, nil, invoke(status.Error(codes.Unavailable, "down")))
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%v: %q", err, buf.String())
			}
			got = append(got, fmt.Sprint(m["level"]))
			if (m["level"] == "INFO") != (m["caller_done"] == true) {
				t.Errorf("logger at %s: %s", tc.level, line)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("logger at %s: levels %v, want %v\n%s", tc.level, got, tc.want, buf.String())
		}
	}
}

// A call its caller cut for a cause of its own (the server's shutdown
// grace over) names the cause: the line would otherwise read as a client
// that left. A plain hang-up has no cause beyond its cancellation.
func TestACallerCutNamesItsCause(t *testing.T) {
	shutdown := errors.New("the server is shutting down: its grace period is over")
	for _, tc := range []struct {
		name  string
		cut   func(context.CancelCauseFunc)
		cause any
	}{
		{"shutdown", func(c context.CancelCauseFunc) { c(shutdown) }, shutdown.Error()},
		{"hang-up", func(c context.CancelCauseFunc) { c(nil) }, nil},
	} {
		var buf bytes.Buffer
		logger, _ := telemetry.NewLogger(&buf, "json", "info")
		c := &caller{service: "stat", throttle: newThrottle(BreakerSettings{}), timeout: time.Second, logger: logger}
		ctx, cut := context.WithCancelCause(context.Background())
		tc.cut(cut)
		c.intercept(ctx, statMethod, nil, nil, nil, hang)
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v: %q", tc.name, err, buf.String())
		}
		if m["caller_done"] != true || m["cause"] != tc.cause {
			t.Errorf("%s: caller_done %v cause %v, want true and %v", tc.name, m["caller_done"], m["cause"], tc.cause)
		}
	}
}

// A failed call's line says what the throttle was told, even when the
// signals change while the call ends: the process turns starved a moment
// after the call's own timeout was judged, or the client hangs up just
// after it fired. Both calls count against the service, and neither line
// may excuse it.
func TestALineSaysWhatTheThrottleWasTold(t *testing.T) {
	var buf bytes.Buffer
	logger, _ := telemetry.NewLogger(&buf, "json", "info")
	asked := 0
	// slack: a goroutine of a loaded machine noticing the timeout late
	// must not make it the BFF's doing; only starved decides here.
	c := &caller{service: "stat", throttle: newThrottle(BreakerSettings{}), timeout: 50 * time.Millisecond, logger: logger, slack: time.Hour,
		starved: func() bool { asked++; return asked > 1 }}
	c.intercept(context.Background(), statMethod, nil, nil, nil, hang)
	asked = -1 << 30 // never starved again
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	c.intercept(ctx, statMethod, nil, nil, nil, func(callCtx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		err := hang(callCtx, method, req, reply, cc, opts...)
		hangUp()
		return err
	})
	if c.throttle.requests != 2 || c.throttle.accepts != 0 {
		t.Fatalf("throttle: %d requests, %d accepted; want 2 failed", c.throttle.requests, c.throttle.accepts)
	}
	for i, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		if got["bff_starved"] != nil || got["caller_done"] != nil {
			t.Errorf("line %d excuses a failure the throttle counted: %s", i, line)
		}
	}
}

// The request id travels as x-request-id metadata in real mode too.
func TestOutgoingCarriesTheRequestID(t *testing.T) {
	var seen metadata.MD
	capture := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		seen, _ = metadata.FromOutgoingContext(ctx)
		return nil
	}
	c := &caller{service: "stat", throttle: newThrottle(BreakerSettings{})}
	c.intercept(reqid.With(WithColor(context.Background(), "blue"), "req-9"), "/m", nil, nil, nil, capture)
	if got := seen.Get(reqid.MetadataKey); len(got) != 1 || got[0] != "req-9" || seen.Get(contract.ColorKey)[0] != "blue" {
		t.Errorf("metadata %v", seen)
	}
	c.intercept(context.Background(), "/m", nil, nil, nil, capture)
	if seen != nil {
		t.Errorf("a call with nothing to carry got metadata %v", seen)
	}
}

type statServer struct {
	statv1.UnimplementedStatServiceServer
	md chan metadata.MD
}

func (s statServer) BatchGetStats(ctx context.Context, _ *statv1.BatchGetStatsRequest) (*statv1.BatchGetStatsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.md <- md
	return &statv1.BatchGetStatsResponse{}, nil
}

// A call over a real connection gets one client span, child of the
// caller's, with the batch size; the service receives the span as its
// traceparent.
func TestCallsGetAClientSpanWithTheBatchSize(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	got := statServer{md: make(chan metadata.MD, 1)}
	statv1.RegisterStatServiceServer(srv, got)
	go srv.Serve(ln)
	defer srv.Stop()

	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	cc, err := Dial("stat", "static:///"+ln.Addr().String(), Options{TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, parent := tp.Tracer("test").Start(context.Background(), "GET /web/v1/feed")
	_, err = statv1.NewStatServiceClient(cc).BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: []int64{4, 5, 6, 7}})
	parent.End()
	if err != nil {
		t.Fatal(err)
	}
	var client []sdktrace.ReadOnlySpan
	for _, s := range exp.GetSpans().Snapshots() {
		if s.SpanKind() == trace.SpanKindClient {
			client = append(client, s)
		}
	}
	if len(client) != 1 {
		t.Fatalf("%d client spans, want 1", len(client))
	}
	s := client[0]
	if s.Name() != "stat.v1.StatService/BatchGetStats" || s.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("span %q with parent %s, want the caller's %s", s.Name(), s.Parent().SpanID(), parent.SpanContext().SpanID())
	}
	batch := int64(-1)
	for _, a := range s.Attributes() {
		if a.Key == BatchSizeAttr {
			batch = a.Value.AsInt64()
		}
	}
	if batch != 4 {
		t.Errorf("%s = %d, want 4", BatchSizeAttr, batch)
	}
	want := "00-" + s.SpanContext().TraceID().String() + "-" + s.SpanContext().SpanID().String() + "-01"
	if tp := (<-got.md).Get("traceparent"); len(tp) != 1 || tp[0] != want {
		t.Errorf("the service got traceparent %v, want %s", tp, want)
	}
}

// With tracing off, the caller's traceparent goes on as it came; a call
// without a trace carries none.
func TestOutgoingPassesTheTraceOnWhenNotRecording(t *testing.T) {
	var seen metadata.MD
	capture := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		seen, _ = metadata.FromOutgoingContext(ctx)
		return nil
	}
	c := &caller{service: "stat", throttle: newThrottle(BreakerSettings{}), propagator: propagation.TraceContext{}}
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceparent})
	c.intercept(ctx, "/m", nil, nil, nil, capture)
	if got := seen.Get("traceparent"); len(got) != 1 || got[0] != traceparent {
		t.Errorf("traceparent %v, want %s", got, traceparent)
	}
	c.intercept(reqid.With(context.Background(), "r"), "/m", nil, nil, nil, capture)
	if got := seen.Get("traceparent"); len(got) != 0 {
		t.Errorf("a call without a trace carries %v", got)
	}
}
