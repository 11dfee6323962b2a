package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// failing fails the exports it is told to, by their order.
type failing struct {
	sdktrace.SpanExporter
	fails []bool
}

func (f *failing) Shutdown(context.Context) error { return nil }

func (f *failing) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	fail := f.fails[0]
	f.fails = f.fails[1:]
	if fail {
		return errors.New("collector down")
	}
	return nil
}

// logLines decodes a JSON log, a map a line.
func logLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// A run of failed exports is one warning while it lasts less than quiet,
// then a line when exports succeed again with the spans lost; past quiet,
// each failure is told with the spans lost since the last line.
func TestFailedExportsAreToldOnceInAWhile(t *testing.T) {
	spans := make([]sdktrace.ReadOnlySpan, 2)
	for _, c := range []struct {
		name  string
		quiet time.Duration
		fails []bool
		want  []string // level, message and lost_spans of each line
	}{
		{"within quiet", time.Hour, []bool{false, true, true, true, false, false},
			[]string{"WARN traces not exported 2", "INFO exporting traces again 6"}},
		{"failing at the exit", time.Hour, []bool{true, true, true},
			[]string{"WARN traces not exported 2", "WARN traces not exported 4"}},
		{"past quiet", 0, []bool{true, true, false},
			[]string{"WARN traces not exported 2", "WARN traces not exported 2", "INFO exporting traces again 4"}},
		{"never failing", time.Hour, []bool{false, false}, nil},
	} {
		var buf bytes.Buffer
		e := &loggedExporter{SpanExporter: &failing{fails: c.fails}, logger: slog.New(slog.NewJSONHandler(&buf, nil)), quiet: c.quiet}
		for range c.fails {
			if err := e.ExportSpans(context.Background(), spans); err != nil {
				t.Fatalf("%s: the error was passed on: %v", c.name, err)
			}
		}
		if err := e.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range logLines(t, &buf) {
			got = append(got, strings.Join([]string{l["level"].(string), l["msg"].(string), fmt.Sprint(l["lost_spans"])}, " "))
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: logged\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// A collector refusing the spans is told in the service's JSON log, and
// nothing reaches OpenTelemetry's global error handler, which would print
// a plain-text line on stderr.
func TestARefusedExportIsLoggedNotPrinted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusBadRequest) // not retried
	}))
	defer srv.Close()
	var mu sync.Mutex
	var global []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		global = append(global, err)
	}))
	defer otel.SetErrorHandler(prev)

	var buf bytes.Buffer
	exportOneLogging(t, slog.New(slog.NewJSONHandler(&buf, nil)), env("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL))
	lines := logLines(t, &buf)
	if len(lines) != 1 || lines[0]["msg"] != "traces not exported" || !strings.Contains(lines[0]["error"].(string), "400") {
		t.Errorf("logged %v, want one warning naming the collector's 400", lines)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(global) != 0 {
		t.Errorf("OpenTelemetry's global error handler got %v", global)
	}
}

// The sampler is the SDK's for each value it takes; a value it would
// replace by its default, with a line on stderr, stops the start.
func TestSamplerFromEnv(t *testing.T) {
	for _, c := range []struct {
		sampler, arg, want string
	}{
		{"", "", "ParentBased{root:AlwaysOnSampler"},
		{"parentbased_always_on", "", "ParentBased{root:AlwaysOnSampler"},
		{"parentbased_always_off", "", "ParentBased{root:AlwaysOffSampler"},
		{"Always_On", "", "AlwaysOnSampler"},
		{"always_off", "", "AlwaysOffSampler"},
		{"traceidratio", "", "TraceIDRatioBased{1}"},
		{"traceidratio", "0.1", "TraceIDRatioBased{0.1}"},
		{"parentbased_traceidratio", "0.25", "ParentBased{root:TraceIDRatioBased{0.25}"},
		{"bogus", "", "error OTEL_TRACES_SAMPLER"},
		{"jaeger_remote", "", "error OTEL_TRACES_SAMPLER"},
		{"traceidratio", "1.5", "error OTEL_TRACES_SAMPLER_ARG"},
		{"traceidratio", "-0.1", "error OTEL_TRACES_SAMPLER_ARG"},
		{"parentbased_traceidratio", "a tenth", "error OTEL_TRACES_SAMPLER_ARG"},
		{"traceidratio", "NaN", "error OTEL_TRACES_SAMPLER_ARG"},
	} {
		s, err := samplerFromEnv(env("OTEL_TRACES_SAMPLER", c.sampler, "OTEL_TRACES_SAMPLER_ARG", c.arg))
		var got string
		if err != nil {
			got = "error " + err.Error()
		} else {
			got = s.Description()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%q %q: %s, want %s", c.sampler, c.arg, got, c.want)
		}
	}
	// FromEnv's provider samples with it, read through getenv.
	tr, err := FromEnv(context.Background(), slog.New(slog.DiscardHandler), env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_TRACES_SAMPLER", "always_off"), "bff")
	if err != nil {
		t.Fatal(err)
	}
	if _, span := tr.Provider.Tracer("test").Start(context.Background(), "GET /web/v1/feed"); span.IsRecording() {
		t.Error("always_off recorded a span")
	}
	tr.Shutdown(context.Background())
	// FromEnv refuses an unknown one.
	if tr, err := FromEnv(context.Background(), slog.New(slog.DiscardHandler), env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_TRACES_SAMPLER", "bogus"), "bff"); err == nil {
		tr.Shutdown(context.Background())
		t.Error("FromEnv took an unknown sampler")
	}
}
