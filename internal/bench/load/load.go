// Package load sends the bench's HTTP load: closed loops that find a
// server's saturation, open loops at a fixed rate that measure its latency
// without coordinated omission, and one request at a time; and it reads
// percentiles from what they saw.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mosaic/dto"
)

// Target is one request the load repeats.
type Target struct {
	URL    string
	Header http.Header
}

// Source gives each send of a load phase its request. A Target is a
// Source that repeats itself; a Stream draws a new request each time.
type Source interface{ Next() Target }

// Next is t itself: a fixed target repeats.
func (t Target) Next() Target { return t }

// Stream is the sequence at(0), at(1)... handed out once each, in order,
// to concurrent senders, so that every implementation loaded with the same
// at is sent the same requests.
type Stream struct {
	at func(i uint64) Target
	n  atomic.Uint64
}

// NewStream starts the sequence at at(0).
func NewStream(at func(i uint64) Target) *Stream { return &Stream{at: at} }

// Next is the next request of the sequence.
func (s *Stream) Next() Target { return s.at(s.n.Add(1) - 1) }

// Result is what one load phase saw.
type Result struct {
	OK, Errors int
	FirstErr   string
	Elapsed    time.Duration   // from the first send to the last answer
	Latencies  []time.Duration // of the successful requests
	// SendLag is, for an open loop, how far behind its schedule the last
	// request left (a generator that cannot keep up shows here).
	SendLag time.Duration
}

// RPS is the rate of successful answers.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Do sends one request, reads the whole body and says whether it was a
// complete answer: a 200 whose body lists no degraded section. A degraded
// 200 is an error here: a server that drops a section under load does less
// work than one that waits for it, and its rate is not screens served.
func Do(ctx context.Context, client *http.Client, t Target) (n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return 0, err
	}
	req.Header = t.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	n = int64(len(body))
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("%s: status %d", t.URL, resp.StatusCode)
	}
	if d := Degraded(body); len(d) > 0 {
		return n, fmt.Errorf("%s: degraded: %s", t.URL, strings.Join(d, ", "))
	}
	return n, nil
}

// degradedMark is cheap to look for before decoding a body: most 200s have
// no degraded section, and the load generator shares the machine.
const degradedMark = `"degraded":`

// Degraded lists "section reason" for each degraded section of a scene's
// 200 body (api.openapi.yaml; docs/ARCHITECTURE.md, "Criticality"); a
// complete answer has none. A body that names the list but does not decode
// is no complete answer either: its one entry says so.
func Degraded(body []byte) []string {
	if !bytes.Contains(body, []byte(degradedMark)) {
		return nil
	}
	var b struct {
		Degraded []dto.Degraded `json:"degraded"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return []string{"unreadable body: " + err.Error()}
	}
	out := make([]string, 0, len(b.Degraded))
	for _, d := range b.Degraded {
		out = append(out, d.Section+" "+d.Reason)
	}
	return out
}

// recorder gathers the outcome of concurrent requests.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	firstErr  string
}

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if r.errors == 0 {
			r.firstErr = err.Error()
		}
		r.errors++
		return
	}
	r.latencies = append(r.latencies, d)
}

func (r *recorder) result(elapsed time.Duration) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Result{OK: len(r.latencies), Errors: r.errors, FirstErr: r.firstErr, Elapsed: elapsed, Latencies: r.latencies}
}

// ClosedLoop runs workers that each send a request as soon as their previous
// one answered, for dur: the rate it reaches is the saturation throughput.
func ClosedLoop(ctx context.Context, client *http.Client, src Source, workers int, dur time.Duration) Result {
	var rec recorder
	start := time.Now()
	stop := start.Add(dur)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(stop) && ctx.Err() == nil {
				t := src.Next()
				t0 := time.Now()
				_, err := Do(ctx, client, t)
				rec.add(time.Since(t0), err)
			}
		})
	}
	wg.Wait()
	return rec.result(time.Since(start))
}

// Sequential sends one request at a time, at least min of them and for at
// least dur: the latency of a server with nothing else to do.
func Sequential(ctx context.Context, client *http.Client, t Target, minN int, dur time.Duration) Result {
	var rec recorder
	start := time.Now()
	for n := 0; (n < minN || time.Since(start) < dur) && ctx.Err() == nil; n++ {
		t0 := time.Now()
		_, err := Do(ctx, client, t)
		rec.add(time.Since(t0), err)
	}
	return rec.result(time.Since(start))
}

// scheduleCount is how many requests an open loop at rate per second sends
// in dur: at least one.
func scheduleCount(rate float64, dur time.Duration) int {
	return max(1, int(math.Floor(rate*dur.Seconds())))
}

// scheduledAt is when the i-th request (from 0) of an open loop at rate per
// second is due, from its start: arrivals are evenly spaced.
func scheduledAt(i int, rate float64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / rate)
}

// maxOutstanding bounds the requests an open loop keeps in flight: past it
// the target is not keeping up, and further sends count as errors rather
// than piling up goroutines.
const maxOutstanding = 20000

// OpenLoop sends requests at a constant rate for dur, each in its own
// goroutine whatever the previous ones are doing, and measures each
// latency from its scheduled send time, so a stall is charged to every
// request it delayed (no coordinated omission).
func OpenLoop(ctx context.Context, client *http.Client, src Source, rate float64, dur time.Duration) Result {
	var (
		rec         recorder
		wg          sync.WaitGroup
		outstanding atomic.Int64
		lag         time.Duration
	)
	n := scheduleCount(rate, dur)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	start := time.Now()
	for i := range n {
		due := start.Add(scheduledAt(i, rate))
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				timer.Stop()
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		lag = max(0, time.Since(due))
		if outstanding.Load() >= maxOutstanding {
			rec.add(0, fmt.Errorf("more than %d requests outstanding", maxOutstanding))
			continue
		}
		outstanding.Add(1)
		t := src.Next()
		wg.Go(func() {
			defer outstanding.Add(-1)
			_, err := Do(ctx, client, t)
			rec.add(time.Since(due), err)
		})
	}
	wg.Wait()
	res := rec.result(time.Since(start))
	res.SendLag = lag
	return res
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// durations: the smallest value at or below which p% of them fall.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon keeps 99.9% of 2000 at rank 1998, not 1999 by rounding.
	rank := int(math.Ceil(p*float64(len(sorted))/100 - 1e-9))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Percentiles sorts a copy of lat and returns its p50, p99 and p99.9.
func Percentiles(lat []time.Duration) (p50, p99, p999 time.Duration) {
	s := slices.Clone(lat)
	slices.Sort(s)
	return percentile(s, 50), percentile(s, 99), percentile(s, 99.9)
}

// Ms is d in milliseconds.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
