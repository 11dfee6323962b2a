package bench

import (
	"slices"
	"time"

	"mosaic/clients"
	"mosaic/internal/bench/host"
	"mosaic/mocks/dataset"
	"mosaic/mocks/record"
)

// SkewReport is what the skewed pass found.
type SkewReport struct {
	World    dataset.Config `json:"world"` // the mocks' catalogue and its popularity
	Latency  string         `json:"mock_latency"`
	Viewers  int            `json:"viewers"`
	Rounds   int            `json:"rounds"`
	Variants []Variant      `json:"variants"`
	// Impls are the variants' names, then floor and naive: the lines of
	// every table, in order.
	Impls   []string      `json:"impls"`
	Results []*SkewResult `json:"results"`
}

// SkewResult is one implementation's numbers on one scene of the skewed
// pass.
type SkewResult struct {
	Impl  string `json:"impl"`
	Scene string `json:"scene"`

	RoundRPS     []float64 `json:"round_rps"`      // each saturation round, in order
	SatRPS       float64   `json:"saturation_rps"` // the median round
	OpenRPS      float64   `json:"open_loop_rps"`
	OpenRequests int       `json:"open_loop_requests"`
	P50ms        float64   `json:"p50_ms"`
	P99ms        float64   `json:"p99_ms"`
	P999ms       float64   `json:"p999_ms"`

	// Screens are the requests, saturation and open loop, whose downstream
	// calls Downstream and whose cache reads Cache add up.
	Screens    int                     `json:"screens"`
	Downstream map[string]record.Tally `json:"downstream"` // by service
	Cache      CacheCounts             `json:"cache"`
	MaxRSSMB   float64                 `json:"max_rss_mb"` // during this scene's phases
	// SatCPUSeconds and SatScreens are the process's CPU time over the
	// saturation rounds (its /metrics) and the requests they made.
	SatCPUSeconds float64 `json:"saturation_cpu_seconds"`
	SatScreens    int     `json:"saturation_screens"`
	// SatRigCPUSeconds is the bench process's own CPU time over the same
	// rounds: the mocks' and the load generator's work for this
	// implementation's requests. SatBusyCPUSeconds is what every CPU of the
	// machine was busy over them, whoever used it, and SatWallSeconds
	// their length: the machine's spare capacity at saturation.
	SatRigCPUSeconds  float64 `json:"saturation_rig_cpu_seconds"`
	SatBusyCPUSeconds float64 `json:"saturation_busy_cpu_seconds"`
	SatWallSeconds    float64 `json:"saturation_wall_seconds"`
	SatCPUs           int     `json:"saturation_cpus"`

	Outcome
}

// SharedServices are the services whose answers do not depend on the
// viewer (archives, stats, profiles): what a cache may share across
// viewers.
func SharedServices() []string { return []string{clients.Archive, clients.Stat, clients.Account} }

// PerScreen is the downstream calls per screen, and the IDs requested
// per screen of the shared services and of the others.
func (x *SkewResult) PerScreen() (calls, sharedIDs, otherIDs float64) {
	if x.Screens == 0 {
		return 0, 0, 0
	}
	var c, s, o int
	for svc, t := range x.Downstream {
		c += t.Calls
		if slices.Contains(SharedServices(), svc) {
			s += t.IDs
		} else {
			o += t.IDs
		}
	}
	n := float64(x.Screens)
	return float64(c) / n, float64(s) / n, float64(o) / n
}

// CPUmsPerScreen is the server's own CPU time per request at saturation:
// the work it does, whatever the load generator and the mocks on the same
// cores did.
func (x *SkewResult) CPUmsPerScreen() float64 {
	if x.SatScreens == 0 {
		return 0
	}
	return x.SatCPUSeconds * 1000 / float64(x.SatScreens)
}

// RigCPUmsPerScreen is the mocks' and the load generator's CPU time per
// request at saturation: what the rest of the machine paid for it.
func (x *SkewResult) RigCPUmsPerScreen() float64 {
	if x.SatScreens == 0 {
		return 0
	}
	return x.SatRigCPUSeconds * 1000 / float64(x.SatScreens)
}

// BusyShare is the share of the machine's CPU time that was busy over the
// saturation rounds; ok is false when /proc was not read.
func (x *SkewResult) BusyShare() (share float64, ok bool) {
	if x.SatCPUs == 0 || x.SatWallSeconds <= 0 {
		return 0, false
	}
	return x.SatBusyCPUSeconds / (x.SatWallSeconds * float64(x.SatCPUs)), true
}

// addMachine adds one saturation round's CPU use, u over wall, to x.
func (x *SkewResult) addMachine(u host.CPUUsage, wall time.Duration) {
	s := wall.Seconds()
	x.SatRigCPUSeconds += u.Procs[rigName] / 100 * s
	x.SatWallSeconds += s
	x.SatCPUs = len(u.CPUs)
	for _, busy := range u.CPUs {
		x.SatBusyCPUSeconds += busy / 100 * s
	}
}

// rigName names the bench process itself in its CPU snapshots.
const rigName = "bench rig"

// HitRate is the share of the IDs read through cache name ("" for all)
// that were fresh in memory; ok is false when none were read.
func (x *SkewResult) HitRate(name string) (rate float64, ok bool) {
	return x.Cache.rate(name, CacheHit)
}

// rate is the share of name's reads that had result.
func (c CacheCounts) rate(name, result string) (float64, bool) {
	total, n := c.Reads(name, result)
	if total <= 0 {
		return 0, false
	}
	return n / total, true
}

// get returns the result, adding an empty one if there is none.
func (s *SkewReport) get(impl, scene string) *SkewResult {
	if x := s.find(impl, scene); x != nil {
		return x
	}
	x := &SkewResult{Impl: impl, Scene: scene, Downstream: map[string]record.Tally{}}
	s.Results = append(s.Results, x)
	return x
}

// find returns the result or nil; s may be nil (no skewed pass).
func (s *SkewReport) find(impl, scene string) *SkewResult {
	if s == nil {
		return nil
	}
	for _, x := range s.Results {
		if x.Impl == impl && x.Scene == scene {
			return x
		}
	}
	return nil
}
