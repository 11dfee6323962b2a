package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"mosaic/internal/reqid"
)

var (
	traceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID  = trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

// requestCtx carries a request id and a (remote) span, as a request's
// context does after the id middleware and the tracing handler.
func requestCtx() context.Context {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled, Remote: true})
	return trace.ContextWithSpanContext(reqid.With(context.Background(), "req-1"), sc)
}

func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var got []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		got = append(got, m)
	}
	return got
}

// A line logged with a request's context names the request and its trace;
// one logged without names neither. Loggers derived with With keep doing so.
func TestJSONLinesCarryTheContextsIDs(t *testing.T) {
	var buf bytes.Buffer
	logger, err := NewLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	logger.InfoContext(requestCtx(), "with ids", "k", 1)
	logger.With("service", "stat").WarnContext(requestCtx(), "derived")
	logger.Info("no context")
	logger.DebugContext(requestCtx(), "below the level")
	got := lines(t, buf.String())
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3 (debug filtered out):\n%s", len(got), buf.String())
	}
	for _, l := range got[:2] {
		if l[RequestIDKey] != "req-1" || l[TraceIDKey] != traceID.String() {
			t.Errorf("line %v lacks the request or trace id", l)
		}
	}
	if got[1]["service"] != "stat" || got[1]["level"] != "WARN" {
		t.Errorf("derived line %v", got[1])
	}
	if _, ok := got[2][RequestIDKey]; ok {
		t.Errorf("a line without a request names one: %v", got[2])
	}
	if _, ok := got[2][TraceIDKey]; ok {
		t.Errorf("a line without a trace names one: %v", got[2])
	}
}

func TestTextFormatAndLevels(t *testing.T) {
	var buf bytes.Buffer
	logger, err := NewLogger(&buf, "TEXT", "WARN")
	if err != nil {
		t.Fatal(err)
	}
	logger.InfoContext(requestCtx(), "filtered")
	logger.WarnContext(requestCtx(), "kept")
	want := "level=WARN msg=kept request_id=req-1 trace_id=" + traceID.String()
	if out := buf.String(); strings.Count(out, "\n") != 1 || !strings.Contains(out, want) {
		t.Errorf("text output %q, want one line with %q", out, want)
	}
	for _, bad := range [][2]string{{"xml", "info"}, {"json", "loud"}, {"", "info"}} {
		if _, err := NewLogger(&buf, bad[0], bad[1]); err == nil {
			t.Errorf("NewLogger(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// Packages handed any logger make sure its lines carry the ids, without
// adding them twice when it already does.
func TestWithContextIDsWrapsOnce(t *testing.T) {
	var buf bytes.Buffer
	plain := slog.New(slog.NewJSONHandler(&buf, nil))
	wrapped := WithContextIDs(plain)
	if WithContextIDs(wrapped) != wrapped {
		t.Error("a logger that carries the ids was wrapped again")
	}
	if WithContextIDs(nil) != nil {
		t.Error("nil became a logger")
	}
	wrapped.InfoContext(requestCtx(), "x")
	if got := lines(t, buf.String()); len(got) != 1 || got[0][RequestIDKey] != "req-1" || strings.Count(buf.String(), RequestIDKey) != 1 {
		t.Errorf("got %s", buf.String())
	}
}
