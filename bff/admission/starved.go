package admission

import (
	"math"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// Starvation tells whether this process has lately been short of CPU,
// from the Go scheduler's own histogram of how long runnable goroutines
// waited to run (/sched/latencies:seconds). It is what a downstream call
// that timed out needs to know: when the BFF's goroutines queue for a CPU,
// an answer can arrive in time and be read too late, or a request leave
// late, and the timeout is the caller's doing, not the service's. A CPU
// usage average would lag by seconds and cannot tell busy from starved;
// the scheduler's latency is the starvation itself, read in a few
// microseconds.
type Starvation struct {
	cfg   StarvationConfig
	epoch time.Time // NewStarvation's instant: next and until are ns since it

	next  atomic.Int64 // no new reading before
	until atomic.Int64 // starved until
	mu    sync.Mutex   // one reader at a time; others use the last verdict
	prev  []uint64
}

// StarvationConfig tunes a Starvation; zero fields take their defaults.
type StarvationConfig struct {
	// Threshold: starved when the Quantile of scheduling latency since
	// the last reading is above it (default 10 ms at the 0.99 quantile;
	// an idle or merely busy process schedules within a millisecond).
	Threshold time.Duration
	Quantile  float64
	// Every is the shortest time between readings (default 100 ms).
	Every time.Duration
	// Hold keeps the verdict "starved" this long after a reading said so
	// (default 1 s), so that a call that started in the starved spell and
	// timed out after it is still forgiven.
	Hold time.Duration
	// MinEvents: a reading over fewer scheduling events gives no verdict
	// (default 100).
	MinEvents uint64
	// Now and Read replace the clock and the runtime histogram in tests.
	// Only time since NewStarvation is measured on Now (Time.Sub), the
	// monotonic clock's with time.Now: a wall clock stepped back an hour
	// must not hold a verdict of starved, and the readings, for an hour.
	Now  func() time.Time
	Read func() *metrics.Float64Histogram
}

// NewStarvation returns a Starvation reading the runtime's histogram.
func NewStarvation(cfg StarvationConfig) *Starvation {
	if cfg.Threshold <= 0 {
		cfg.Threshold = 10 * time.Millisecond
	}
	if cfg.Quantile <= 0 || cfg.Quantile >= 1 {
		cfg.Quantile = 0.99
	}
	if cfg.Every <= 0 {
		cfg.Every = 100 * time.Millisecond
	}
	if cfg.Hold <= 0 {
		cfg.Hold = time.Second
	}
	if cfg.MinEvents == 0 {
		cfg.MinEvents = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Read == nil {
		cfg.Read = schedLatencies()
	}
	return &Starvation{cfg: cfg, epoch: cfg.Now()}
}

// schedLatencies reads the runtime's scheduling latency histogram. The
// sample is reused: Starvation reads under its lock.
func schedLatencies() func() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	return func() *metrics.Float64Histogram {
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindFloat64Histogram {
			return nil
		}
		return s[0].Value.Float64Histogram()
	}
}

// Starved reports whether goroutines have lately waited longer than the
// threshold to run. Safe for concurrent use; at most one caller per Every
// pays for a reading.
func (s *Starvation) Starved() bool {
	now := int64(s.cfg.Now().Sub(s.epoch))
	if now >= s.next.Load() && s.mu.TryLock() {
		s.read(now)
		s.mu.Unlock()
	}
	return now < s.until.Load()
}

// read takes a reading; callers hold mu.
func (s *Starvation) read(now int64) {
	s.next.Store(now + int64(s.cfg.Every))
	h := s.cfg.Read()
	if h == nil {
		return
	}
	if len(s.prev) != len(h.Counts) {
		s.prev = make([]uint64, len(h.Counts)) // first reading: since start
	}
	var total uint64
	for i, c := range h.Counts {
		total += c - s.prev[i]
	}
	if total >= s.cfg.MinEvents && quantile(h, s.prev, total, s.cfg.Quantile) > s.cfg.Threshold.Seconds() {
		s.until.Store(now + int64(s.cfg.Hold))
	}
	copy(s.prev, h.Counts)
}

// quantile of the events counted since prev: the lower bound of the
// bucket holding it, so that a wide bucket never overstates the wait.
func quantile(h *metrics.Float64Histogram, prev []uint64, total uint64, q float64) float64 {
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h.Counts {
		seen += c - prev[i]
		if seen >= rank {
			return h.Buckets[i]
		}
	}
	return h.Buckets[len(h.Buckets)-1]
}
