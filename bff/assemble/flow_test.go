package assemble

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"mosaic/bff/scene"
	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/conn"
	"mosaic/clients/freshness"
	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

func TestOptionalFailureDegradesItsSectionAndDependents(t *testing.T) {
	fl := newFlow(context.Background())
	a := start(fl, optional("a"), func(context.Context) (int, error) { return 0, status.Error(codes.Unavailable, "down") })
	b := then(fl, optional("b"), a, func(_ context.Context, v int) (int, error) { return v + 1, nil })
	c := start(fl, critical("c"), func(context.Context) (int, error) { return 7, nil })
	d := then(fl, optional("a"), a, func(_ context.Context, v int) (int, error) { return v, nil }) // same section: reported once
	degraded, err := fl.wait()
	if err != nil {
		t.Fatal(err)
	}
	want := []scene.Degraded{{Section: "a", Reason: scene.ReasonUnavailable}, {Section: "b", Reason: scene.ReasonUnavailable}}
	if len(degraded) != 2 || degraded[0] != want[0] || degraded[1] != want[1] {
		t.Errorf("degraded %v, want %v", degraded, want)
	}
	if b.value() != 0 || c.value() != 7 || d.value() != 0 {
		t.Errorf("values b=%d c=%d d=%d", b.value(), c.value(), d.value())
	}
}

func TestCriticalFailureCancelsTheRest(t *testing.T) {
	fl := newFlow(context.Background())
	started := make(chan struct{})
	slow := start(fl, optional("stats"), func(ctx context.Context) (int, error) {
		close(started)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Second):
			return 1, nil
		}
	})
	// The critical step fails only once the slow one is in flight, so the
	// test shows a running call being cancelled, not one never started.
	start(fl, critical("archives"), func(context.Context) (int, error) {
		<-started
		return 0, status.Error(codes.DeadlineExceeded, "slow")
	})
	_, err := fl.wait()
	var se *Error
	if !errors.As(err, &se) || se.Section != "archives" || se.Reason != scene.ReasonTimeout {
		t.Fatalf("err = %v, want the archives step's timeout", err)
	}
	if _, serr := slow.result(); !errors.Is(serr, context.Canceled) {
		t.Errorf("the optional step was not cancelled: %v", serr)
	}
}

func TestReasonOf(t *testing.T) {
	for err, want := range map[error]string{
		status.Error(codes.Unavailable, ""):       scene.ReasonUnavailable,
		status.Error(codes.DeadlineExceeded, ""):  scene.ReasonTimeout,
		context.DeadlineExceeded:                  scene.ReasonTimeout,
		conn.ErrCircuitOpen:                       scene.ReasonCircuitOpen,
		status.Error(codes.ResourceExhausted, ""): scene.ReasonError,
		errors.New("x"):                           scene.ReasonError,
	} {
		if got := ReasonOf(err); got != want {
			t.Errorf("ReasonOf(%v) = %s, want %s", err, got, want)
		}
	}
}

// A step that panics fails its section, not the process, and the panic is
// logged with the step's stack: the section's reason (error) alone would
// point the operator at the downstream service.
func TestAPanickingStepFailsItsSectionNotTheProcess(t *testing.T) {
	var logs bytes.Buffer
	fl := (&Service{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}).flow(context.Background())
	start(fl, critical("recommend"), func(context.Context) (int, error) { return 1, nil })
	start(fl, optional("stats"), func(context.Context) (int, error) {
		var m map[int64]*int
		return *m[1], nil // nil dereference
	})
	degraded, err := fl.wait()
	if err != nil || len(degraded) != 1 || degraded[0] != (scene.Degraded{Section: "stats", Reason: scene.ReasonError}) {
		t.Fatalf("degraded %v, err %v; want stats:error", degraded, err)
	}
	var line struct{ Level, Msg, Section, Panic, Stack string }
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line.Level != "ERROR" || line.Section != "stats" || !strings.Contains(line.Panic, "nil pointer") || !strings.Contains(line.Stack, "flow_test.go") {
		t.Errorf("log line %+v: want an ERROR naming the section, the panic and the step's stack", line)
	}
}

// A step whose read served stale entries keeps its value and lists its
// section as stale; a critical one does not fail the flow.
func TestStaleReadDegradesItsSectionAsStale(t *testing.T) {
	fl := newFlow(context.Background())
	a := start(fl, critical("archives"), func(ctx context.Context) (int, error) {
		freshness.Stale(ctx)
		return 3, nil
	})
	b := then(fl, optional("owners"), a, func(_ context.Context, v int) (int, error) { return v + 1, nil })
	degraded, err := fl.wait()
	if err != nil {
		t.Fatalf("a critical step served stale failed the flow: %v", err)
	}
	if want := []scene.Degraded{{Section: "archives", Reason: scene.ReasonStale}}; len(degraded) != 1 || degraded[0] != want[0] {
		t.Errorf("degraded %v, want %v", degraded, want)
	}
	if a.value() != 3 || b.value() != 4 {
		t.Errorf("values a=%d b=%d, want the stale value used", a.value(), b.value())
	}
}

// Two steps of one section, the first served stale and the second failed:
// the section is left out, and says so rather than stale (the user page
// hides the count of uploads it left out on that reason).
func TestAFailureOutranksStaleInItsSection(t *testing.T) {
	fl := newFlow(context.Background())
	list := start(fl, optional("archives"), func(ctx context.Context) (int, error) {
		freshness.Stale(ctx)
		return 1, nil
	})
	then(fl, optional("archives"), list, func(context.Context, int) (int, error) {
		return 0, status.Error(codes.Unavailable, "down")
	})
	degraded, err := fl.wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := (scene.Degraded{Section: "archives", Reason: scene.ReasonUnavailable}); len(degraded) != 1 || degraded[0] != want {
		t.Errorf("degraded %v, want [%v]", degraded, want)
	}
}

// Any state but 0 hides an archive: the mock world only makes negative
// ones, so a check for "not negative" would pass every scene's test.
func TestEveryStateButZeroHides(t *testing.T) {
	for state, want := range map[int32]bool{0: true, -1: false, -40: false, 1: false, 7: false} {
		if got := visible(&archivev1.Archive{State: state}); got != want {
			t.Errorf("state %d: visible %v, want %v", state, got, want)
		}
	}
}
