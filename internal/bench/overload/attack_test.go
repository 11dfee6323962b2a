package overload

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"mosaic/bff/problem"
	"mosaic/dto"
	"mosaic/internal/bench/report"
	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

// answer renders a problem as the BFF does, with extra headers.
func answer(p dto.Problem, retryAfter bool) (http.Header, []byte) {
	rec := httptest.NewRecorder()
	if retryAfter {
		rec.Header().Set("Retry-After", "1")
	}
	problem.Write(rec, p)
	return rec.Header(), rec.Body.Bytes()
}

func TestClassify(t *testing.T) {
	shedH, shedB := answer(dto.Problem{Status: 503, Detail: "overloaded: too many requests in flight, retry shortly"}, true)
	sceneH, sceneB := answer(dto.Problem{Status: 503, Section: "recommend", Detail: "recommend circuit_open"}, false)
	// A scene failure that also says when to retry is still a scene failure.
	sceneRetryH, sceneRetryB := answer(dto.Problem{Status: 503, Section: "archives", Detail: "archives unavailable"}, true)
	gwH, gwB := answer(dto.Problem{Status: 504, Section: "archives", Detail: "archives timeout"}, false)
	bareH, bareB := answer(dto.Problem{Status: 503, Detail: "no idea"}, false)
	badH, badB := answer(dto.Problem{Status: 400, Param: "ps", Detail: "ps must be a number"}, false)
	for _, c := range []struct {
		name   string
		code   int
		h      http.Header
		body   []byte
		err    string
		want   outcome
		detail string
	}{
		{"200", 200, http.Header{}, []byte(`{"cards":[]}`), "", outcomeOK, ""},
		{"shed", 503, shedH, shedB, "", outcomeShed, "overloaded: too many requests in flight, retry shortly"},
		{"scene", 503, sceneH, sceneB, "", outcomeScene, "recommend circuit_open"},
		{"scene with Retry-After", 503, sceneRetryH, sceneRetryB, "", outcomeScene, "archives unavailable"},
		{"504", 504, gwH, gwB, "", outcomeGW, "archives timeout"},
		{"503 neither shed nor scene", 503, bareH, bareB, "", outcomeOther, "503 no idea"},
		{"400", 400, badH, badB, "", outcomeOther, "400 ps must be a number"},
		{"not a problem", 502, http.Header{}, []byte("<html>bad gateway</html>"), "", outcomeOther, "502 status 502"},
		{"no answer", 0, nil, nil, `Get "http://127.0.0.1:1/web/v1/feed": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
			outcomeOther, "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"},
	} {
		got, detail := classify(c.code, c.h, c.body, c.err)
		if got != c.want || detail != c.detail {
			t.Errorf("%s: classify = %d %q, want %d %q", c.name, got, detail, c.want, c.detail)
		}
	}
}

// sent is a vegeta result of an open loop at interval: send seq left
// late after its slot and took lat.
func sent(began time.Time, interval time.Duration, seq uint64, late, lat time.Duration, code uint16, h http.Header, body []byte) *vegeta.Result {
	return &vegeta.Result{Seq: seq, Code: code, Timestamp: began.Add(time.Duration(seq+1)*interval + late), Latency: lat, Headers: h, Body: body}
}

func TestTallyOpenLoop(t *testing.T) {
	const interval = 10 * time.Millisecond
	began := time.Unix(1000, 0)
	shedH, shedB := answer(dto.Problem{Status: 503, Detail: "overloaded"}, true)
	sceneH, sceneB := answer(dto.Problem{Status: 503, Section: "recommend", Detail: "recommend unavailable"}, false)
	okBody := []byte(`{"cards":[],"degraded":[{"section":"owners","reason":"circuit_open"}]}`)
	tl := newTally(interval)
	// Ten sends: 0–5 are 200s taking 20ms, except 3, which left 30ms late
	// and so waited 30ms more than its latency says; 6, 7 shed; 8 a scene
	// failure; 9 no answer. Results arrive out of order, as they do.
	order := []uint64{1, 0, 2, 4, 3, 5, 7, 6, 9, 8}
	for _, seq := range order {
		var r *vegeta.Result
		switch {
		case seq == 3:
			r = sent(began, interval, seq, 30*time.Millisecond, 20*time.Millisecond, 200, http.Header{}, okBody)
		case seq <= 5:
			r = sent(began, interval, seq, 0, 20*time.Millisecond, 200, http.Header{}, []byte(`{"cards":[]}`))
		case seq <= 7:
			r = sent(began, interval, seq, 0, time.Millisecond, 503, shedH, shedB)
		case seq == 8:
			r = sent(began, interval, seq, 0, 5*time.Millisecond, 503, sceneH, sceneB)
		default:
			r = sent(began, interval, seq, 0, 2*time.Second, 0, nil, nil)
			r.Error = `Get "http://x/": timeout`
		}
		tl.add(r)
	}
	s := tl.summary()
	want := AttackSummary{
		Sent: 10, OK: 6, Partial: 1, Shed: 2, Scene503: 1, Other: 1,
		SendSeconds: 0.1, // 10 sends, 10ms apart: the last slot ends 100ms after the first
		Elapsed:     (9*interval + 2*time.Second).Seconds(),
		Failures:    map[string]int{"recommend unavailable": 1, "timeout": 1},
		Degraded:    map[string]int{"owners circuit_open": 1},
		P50ms:       20, P99ms: 50, P999ms: 50, // the late one: 20ms answer + 30ms late
		LagP99ms: 30, LagMaxMs: 30,
	}
	if diff := cmp.Diff(want, s, cmp.AllowUnexported(AttackSummary{}), cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	s.Rate = 100
	if g := s.goodput(); math.Abs(g-50) > 1e-9 {
		t.Errorf("goodput = %v, want 5 whole screens (6 OK, one degraded) over 0.1s = 50", g)
	}
}

func TestTallyClosedLoop(t *testing.T) {
	began := time.Unix(1000, 0)
	tl := newTally(0)
	// Two workers, each sending as soon as its answer came: no schedule,
	// so nothing is charged as lag.
	for i, at := range []time.Duration{0, 0, 40 * time.Millisecond, 50 * time.Millisecond} {
		tl.add(&vegeta.Result{Seq: uint64(i), Code: 200, Timestamp: began.Add(at), Latency: 40*time.Millisecond + time.Duration(i)*5*time.Millisecond})
	}
	s := tl.summary()
	if s.LagMaxMs != 0 || s.P99ms != 55 || s.P50ms != 45 {
		t.Errorf("closed loop: lag %v, p50 %v, p99 %v; want 0, 45, 55", s.LagMaxMs, s.P50ms, s.P99ms)
	}
	// Goodput of a closed loop is over first send to last answer: 105ms.
	if g := s.goodput(); math.Abs(g-4/0.105) > 1e-6 {
		t.Errorf("goodput = %v, want %v", g, 4/0.105)
	}
	if (AttackSummary{}).goodput() != 0 {
		t.Error("goodput of nothing is not 0")
	}
}

func TestTallyBoundsFailureDetails(t *testing.T) {
	tl := newTally(0)
	for i := range 3 * maxDetails {
		tl.add(&vegeta.Result{Seq: uint64(i), Timestamp: time.Unix(1, 0), Error: "error " + strings.Repeat("x", i)})
	}
	s := tl.summary()
	if len(s.Failures) != maxDetails+1 || s.Failures["(other)"] != 2*maxDetails || s.Other != 3*maxDetails {
		t.Errorf("%d details, %d in (other), %d other; want %d, %d, %d", len(s.Failures), s.Failures["(other)"], s.Other, maxDetails+1, 2*maxDetails, 3*maxDetails)
	}
}

func TestOpenLoopWorkers(t *testing.T) {
	for _, c := range []struct {
		rate    float64
		timeout time.Duration
	}{{10, time.Second}, {1000, 2 * time.Second}, {3400 * 3, 2 * time.Second}, {50000, 5 * time.Second}} {
		initial, bound := openLoopWorkers(c.rate, c.timeout)
		// Below the cap, a worker bound that binds would mean more than
		// rate × timeout requests in flight: impossible with that timeout.
		if float64(bound) < math.Min(c.rate*c.timeout.Seconds(), MaxAttackWorkers) || bound > MaxAttackWorkers {
			t.Errorf("rate %v timeout %v: bound %d, want at least rate × timeout, at most %d", c.rate, c.timeout, bound, MaxAttackWorkers)
		}
		if initial < min(16, bound) || initial > bound {
			t.Errorf("rate %v: initial %d outside [16, %d]", c.rate, initial, bound)
		}
	}
}

func TestAttackSpecRoundTrip(t *testing.T) {
	h := http.Header{}
	h.Set("X-User-Id", "42")
	h.Set("Accept-Language", "zh-CN")
	in := attackSpec{url: "http://127.0.0.1:8080/web/v1/feed?ps=20", header: h, rate: 1234.5, workers: 3, duration: 1500 * time.Millisecond, timeout: 2 * time.Second}
	out, err := parseAttack(in.args(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out, cmp.AllowUnexported(attackSpec{})); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	for _, bad := range [][]string{
		{"-url", "ftp://x", "-rate", "1"},
		{"-url", "http://x", "-rate", "0"},
		{"-url", "http://x", "-rate", "-1"},
		{"-url", "http://x", "-rate", "1", "-duration", "0s"},
		{"-url", "http://x", "-rate", "1", "-header", "no colon"},
	} {
		if _, err := parseAttack(bad, io.Discard); err == nil {
			t.Errorf("parseAttack(%q) accepted", bad)
		}
	}
}

// TestAttackStaysOpenLoop loads a server slower than the arrival interval:
// an open loop keeps sending on schedule whatever the answers do, and a
// closed loop never has more than its workers in flight.
//
// The server gives no answer at all until held requests are in flight at
// once (or holdCap passed): an open loop gets there whatever the machine's
// speed, a closed loop of vegeta's 16 initial workers never does. Counting
// the sends of a short attack against 300 ms answers instead depended on
// how much CPU the sending loop got in that time.
func TestAttackStaysOpenLoop(t *testing.T) {
	const held, holdCap = 40, 3 * time.Second
	var inFlight, peak atomic.Int64
	var mu sync.Mutex
	var seen []string
	release := make(chan struct{})
	var releaseOnce sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n >= held {
			releaseOnce.Do(func() { close(release) })
		}
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Test"))
		mu.Unlock()
		select {
		case <-release:
		case <-time.After(holdCap):
		}
		time.Sleep(300 * time.Millisecond)
		w.Write([]byte(`{"cards":[]}`))
	}))
	defer srv.Close()
	h := http.Header{}
	h.Set("X-Test", "yes")

	// 400 sends due in 2 s; the first 40 are due within 200 ms.
	open := runAttack(t.Context(), attackSpec{url: srv.URL, header: h, rate: 200, duration: 2 * time.Second, timeout: 5 * time.Second})
	if peak.Load() < held {
		t.Errorf("open loop: peak %d in flight while no answer came; want %d (more than a closed loop's 16 workers)", peak.Load(), held)
	}
	if open.Sent < held || open.Sent > 401 || open.OK != open.Sent {
		t.Errorf("open loop at 200/s for 2s: sent %d, %d OK; want %d to 400, all OK", open.Sent, open.OK, held)
	}
	if open.P50ms < 300 || open.Rate != 200 {
		t.Errorf("open loop: p50 %vms, rate %v; want at least the 300ms the server takes, 200", open.P50ms, open.Rate)
	}
	mu.Lock()
	if slices.ContainsFunc(seen, func(s string) bool { return s != "yes" }) {
		t.Error("a request went without the spec's header")
	}
	mu.Unlock()

	peak.Store(0)
	closed := runAttack(t.Context(), attackSpec{url: srv.URL, header: h, workers: 3, duration: time.Second, timeout: 5 * time.Second})
	// At most four rounds of 3 in 1s, and the send the pacer was already
	// waiting to hand over when the time ran out.
	if peak.Load() > 3 || closed.Sent > 3*4+1 || closed.Sent < 3 {
		t.Errorf("closed loop of 3 for 1s against 300ms answers: peak %d in flight, %d sent; want at most 3 and 3–13", peak.Load(), closed.Sent)
	}
}

// svgWellFormed fails the test if doc is not well-formed XML.
func svgWellFormed(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := report.ReadSVG(doc); err != nil {
		t.Fatal(err)
	}
}

// The generator collects less often, unless the caller chose its own pace.
func TestGeneratorEnv(t *testing.T) {
	env := generatorEnv([]string{"PATH=/bin"})
	if !slices.Equal(env, []string{"PATH=/bin", "GOGC=" + generatorGOGC}) {
		t.Errorf("generatorEnv: %q", env)
	}
	if env := generatorEnv([]string{"GOGC=50", "PATH=/bin"}); !slices.Equal(env, []string{"GOGC=50", "PATH=/bin"}) {
		t.Errorf("a GOGC of the caller's was replaced: %q", env)
	}
}
