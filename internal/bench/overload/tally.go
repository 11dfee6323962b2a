package overload

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"mosaic/dto"
	"mosaic/internal/bench/load"
)

// outcome is what an answer means for the overload report.
type outcome int

const (
	outcomeOK    outcome = iota // 200
	outcomeShed                 // 503 refused by admission: Retry-After, no failed section
	outcomeScene                // 503 naming the critical section that failed
	outcomeGW                   // 504: a critical section past the deadline
	outcomeOther                // any other status, or no answer at all
)

// classify sorts an answer. A shed answer and a scene failure are both
// 503 problem+json; the scene failure names its section, the shed answer
// does not and carries Retry-After. detail is the problem's detail, the
// status, or the transport error, for the failure breakdown.
func classify(code int, h http.Header, body []byte, errText string) (outcome, string) {
	if code == 0 {
		return outcomeOther, shortError(errText)
	}
	if code == http.StatusOK {
		return outcomeOK, ""
	}
	var p dto.Problem
	_ = json.Unmarshal(body, &p) // a body that is no problem leaves p empty
	detail := p.Detail
	if detail == "" {
		detail = fmt.Sprintf("status %d", code)
	}
	switch {
	case code == http.StatusServiceUnavailable && p.Section != "":
		return outcomeScene, detail
	case code == http.StatusServiceUnavailable && h.Get("Retry-After") != "":
		return outcomeShed, detail
	case code == http.StatusGatewayTimeout:
		return outcomeGW, detail
	}
	return outcomeOther, fmt.Sprintf("%d %s", code, detail)
}

// shortError drops the method and URL that net/http puts before the cause:
// `Get "http://127.0.0.1:1/web/v1/feed": context deadline exceeded` → the cause.
func shortError(s string) string {
	if i := strings.Index(s, `": `); i >= 0 {
		return s[i+3:]
	}
	return s
}

// maxDetails bounds the distinct failure texts kept, so a server that puts
// a request ID in every error cannot grow the summary without end.
const maxDetails = 24

// tally accumulates an attack's results.
type tally struct {
	interval time.Duration // of the open loop's schedule; 0 for a closed loop

	// offsets are each send's start less its place in the schedule, in Unix
	// nanoseconds: equal for all sends that left on time, larger by the lag
	// for the ones that left late. Kept for every send; okAt indexes the 200s.
	offsets []int64
	okAt    []int
	okLat   []time.Duration

	firstSend, lastSend, lastEnd time.Time
	counts                       [outcomeOther + 1]int
	partial                      int // 200s listing a degraded section
	failures                     map[string]int
	degraded                     map[string]int
}

func newTally(interval time.Duration) *tally {
	return &tally{interval: interval, failures: map[string]int{}, degraded: map[string]int{}}
}

func (t *tally) add(r *vegeta.Result) {
	if t.firstSend.IsZero() || r.Timestamp.Before(t.firstSend) {
		t.firstSend = r.Timestamp
	}
	if r.Timestamp.After(t.lastSend) {
		t.lastSend = r.Timestamp
	}
	if end := r.Timestamp.Add(r.Latency); end.After(t.lastEnd) {
		t.lastEnd = end
	}
	t.offsets = append(t.offsets, r.Timestamp.UnixNano()-int64(r.Seq+1)*int64(t.interval))
	kind, detail := classify(int(r.Code), r.Headers, r.Body, r.Error)
	t.counts[kind]++
	switch kind {
	case outcomeOK:
		t.okAt = append(t.okAt, len(t.offsets)-1)
		t.okLat = append(t.okLat, r.Latency)
		ds := load.Degraded(r.Body)
		if len(ds) > 0 {
			t.partial++
		}
		for _, d := range ds {
			t.degraded[d]++
		}
	case outcomeShed:
		// One constant answer; its detail adds nothing to the count.
	default:
		if _, ok := t.failures[detail]; !ok && len(t.failures) >= maxDetails {
			detail = "(other)"
		}
		t.failures[detail]++
	}
}

// AttackSummary is what the generator child reports of one phase.
type AttackSummary struct {
	Rate    float64 `json:"rate"`    // offered per second; 0 for a closed loop
	Workers int     `json:"workers"` // of a closed loop
	Sent    int     `json:"sent"`
	// SendSeconds spans the sends, one interval past the last: n sends at
	// rate r span n/r seconds when the generator kept up, longer when it
	// fell behind.
	SendSeconds float64 `json:"send_seconds"`
	Elapsed     float64 `json:"elapsed_seconds"` // first send to last answer
	OK          int     `json:"ok"`
	// Partial counts the 200s that listed a degraded section: answered,
	// but not the whole screen, so not goodput.
	Partial  int `json:"partial_200"`
	Shed     int `json:"shed_503"`
	Scene503 int `json:"scene_503"`
	GW504    int `json:"gateway_504"`
	Other    int `json:"other"`
	// Failures counts non-200 answers other than shed by detail.
	Failures map[string]int `json:"failures"`
	// Degraded counts "section reason" across the 200 bodies.
	Degraded map[string]int `json:"degraded"`
	// Latencies of the 200s, from each request's scheduled send (open
	// loop) or its actual send (closed loop).
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	P999ms float64 `json:"p999_ms"`
	// LagP99ms and LagMaxMs are how far behind schedule sends left: a
	// generator that could not keep up shows here.
	LagP99ms float64 `json:"lag_p99_ms"`
	LagMaxMs float64 `json:"lag_max_ms"`
}

func (t *tally) summary() AttackSummary {
	s := AttackSummary{
		Sent: len(t.offsets), OK: t.counts[outcomeOK], Partial: t.partial, Shed: t.counts[outcomeShed], Scene503: t.counts[outcomeScene],
		GW504: t.counts[outcomeGW], Other: t.counts[outcomeOther], Failures: t.failures, Degraded: t.degraded,
	}
	if s.Sent == 0 {
		return s
	}
	s.Elapsed = t.lastEnd.Sub(t.firstSend).Seconds()
	s.SendSeconds = (t.lastSend.Sub(t.firstSend) + t.interval).Seconds()
	// The earliest offset is a send that left on time; every other send's
	// lag is how much later its offset is.
	base := slices.Min(t.offsets)
	lags := make([]time.Duration, len(t.offsets))
	for i, o := range t.offsets {
		lags[i] = time.Duration(o - base)
	}
	lat := make([]time.Duration, len(t.okLat))
	for i, l := range t.okLat {
		lat[i] = l
		if t.interval > 0 {
			// A late send's wait is charged to it (no coordinated omission).
			lat[i] += lags[t.okAt[i]]
		}
	}
	p50, p99, p999 := load.Percentiles(lat)
	s.P50ms, s.P99ms, s.P999ms = load.Ms(p50), load.Ms(p99), load.Ms(p999)
	if t.interval > 0 {
		_, lp99, _ := load.Percentiles(lags)
		s.LagP99ms, s.LagMaxMs = load.Ms(lp99), load.Ms(slices.Max(lags))
	}
	return s
}

// goodput is the rate of whole screens, 200s listing no degraded section
// (a server that drops sections under load must not look faster than one
// that serves them): over the send span for an open loop (so a phase in
// which every request got a whole screen has goodput = the rate sent; the
// answers of the last sends arriving after it are not held against the
// server), over first send to last answer for a closed loop.
func (s AttackSummary) goodput() float64 {
	span := s.Elapsed
	if s.Rate > 0 {
		span = s.SendSeconds
	}
	if span <= 0 {
		return 0
	}
	return float64(s.OK-s.Partial) / span
}
