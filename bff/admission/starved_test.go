package admission

import (
	"math"
	"runtime/metrics"
	"testing"
	"time"
)

// hist is a fake scheduling-latency histogram: buckets at 0, 1 ms, 10 ms,
// 100 ms, with counts the test adds to.
type hist struct{ h metrics.Float64Histogram }

func newHist() *hist {
	return &hist{h: metrics.Float64Histogram{
		Buckets: []float64{0, 0.001, 0.010, 0.100, math.Inf(1)},
		Counts:  make([]uint64, 4),
	}}
}
func (h *hist) read() *metrics.Float64Histogram { return &h.h }

func TestStarvationFollowsTheSchedulersLatency(t *testing.T) {
	c := newClock()
	h := newHist()
	reads := 0
	s := NewStarvation(StarvationConfig{Threshold: 10 * time.Millisecond, Quantile: 0.9, Every: 100 * time.Millisecond, Hold: time.Second, Now: c.Now,
		Read: func() *metrics.Float64Histogram { reads++; return h.read() }})
	h.h.Counts[0] += 1000 // all under a millisecond
	if s.Starved() {
		t.Fatal("starved on sub-millisecond scheduling")
	}
	h.h.Counts[3] += 500 // a spell of 100 ms+ waits, but not read yet
	c.add(50 * time.Millisecond)
	if s.Starved() || reads != 1 {
		t.Fatalf("read again within Every: %d reads", reads)
	}
	c.add(60 * time.Millisecond)
	if !s.Starved() {
		t.Fatal("not starved with a third of the waits over 100 ms")
	}
	// Since the last reading all was quick, but the verdict holds a while.
	h.h.Counts[0] += 5000
	c.add(500 * time.Millisecond)
	if !s.Starved() {
		t.Fatal("verdict dropped within Hold")
	}
	c.add(600 * time.Millisecond)
	if s.Starved() {
		t.Fatal("still starved after Hold with quick scheduling since")
	}
	// Too few events give no verdict either way.
	h.h.Counts[3] += 10
	c.add(200 * time.Millisecond)
	if s.Starved() {
		t.Fatal("starved on 10 events")
	}
}

// The runtime's histogram is there and readable.
func TestStarvationReadsTheRuntime(t *testing.T) {
	if h := schedLatencies()(); h == nil || len(h.Counts) == 0 {
		t.Fatal("no /sched/latencies:seconds histogram")
	}
	NewStarvation(StarvationConfig{}).Starved()
}
