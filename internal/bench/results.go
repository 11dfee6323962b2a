package bench

import "mosaic/internal/bench/load"

// Result is one implementation's numbers on one scene.
type Result struct {
	Impl  string `json:"impl"`
	Scene string `json:"scene"`

	// Latency pass (-mock-latency on every downstream call).
	IdleP50ms     float64 `json:"idle_p50_ms"` // one request at a time
	SatRPSLatency float64 `json:"saturation_rps_with_latency"`
	OpenRPS       float64 `json:"open_loop_rps"`
	OpenRequests  int     `json:"open_loop_requests"`
	P50ms         float64 `json:"p50_ms"`
	P99ms         float64 `json:"p99_ms"`
	P999ms        float64 `json:"p999_ms"`
	SendLagMs     float64 `json:"open_loop_send_lag_ms"`

	// Cost pass (no downstream latency).
	SatRPS          float64   `json:"saturation_rps"` // the best round
	RoundRPS        []float64 `json:"round_rps"`      // every round, in order
	CPUmsPerReq     float64   `json:"cpu_ms_per_request"`
	AllocsPerReq    float64   `json:"allocs_per_request"`
	LoadCallsPerReq float64   `json:"downstream_calls_per_request_under_load"`
	// CallsPerReq is keyed by page size ("10", "20"...), or "-" for the
	// video page, which has none.
	CallsPerReq map[string]float64 `json:"downstream_calls_per_request"`
	Bytes       map[string]int     `json:"response_bytes"` // by device
	Outcome
}

// Outcome counts the requests behind a result, and says why the first
// that failed did.
type Outcome struct {
	Requests   int    `json:"requests"`
	Errors     int    `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
}

// note adds a load phase's requests.
func (o *Outcome) note(res load.Result) {
	o.Requests += res.OK
	if res.Errors > 0 && o.FirstError == "" {
		o.FirstError = res.FirstErr
	}
	o.Errors += res.Errors
}

// Report is everything a run found.
type Report struct {
	Machine     string  `json:"machine"`
	Command     string  `json:"command"`
	Latency     string  `json:"mock_latency"`
	Concurrency int     `json:"concurrency"`
	Duration    string  `json:"saturation_duration"`
	OpenDur     string  `json:"open_loop_duration"`
	Rounds      int     `json:"cost_rounds"`
	Seed        int64   `json:"seed"`
	Fraction    float64 `json:"load_fraction"`
	// HopP50ms is one downstream call (mock latency included) from a bare
	// gRPC client, one at a time: what a step of a chain costs at least.
	HopP50ms    float64            `json:"hop_p50_ms"`
	LoadPS      int                `json:"load_ps"`
	PS          []int              `json:"ps"`
	Video       int64              `json:"video_aid"`
	User        int64              `json:"user_mid"`
	Results     []*Result          `json:"results"`
	MaxRSSMB    map[string]float64 `json:"max_rss_mb"`
	Skewed      *SkewReport        `json:"skewed,omitempty"`
	Targets     []Target           `json:"targets"`
	WallSeconds float64            `json:"wall_seconds"`

	cfg Config
}

// get returns the result, adding an empty one if there is none.
func (r *Report) get(impl, scene string) *Result {
	if x := r.find(impl, scene); x != nil {
		return x
	}
	x := &Result{Impl: impl, Scene: scene, CallsPerReq: map[string]float64{}, Bytes: map[string]int{}}
	r.Results = append(r.Results, x)
	return x
}

// find returns the result or nil.
func (r *Report) find(impl, scene string) *Result {
	for _, x := range r.Results {
		if x.Impl == impl && x.Scene == scene {
			return x
		}
	}
	return nil
}
