// Package server builds mosaic's two HTTP handlers, the public one (scene
// APIs, spec, docs) and the admin one (metrics, health, QA), from one
// Config. cmd/bff fills the Config from its flags, bff/apitest from a
// test's options; both start from Defaults and build through New, so the
// binary and the end-to-end tests run the same wiring (docs/ARCHITECTURE.md,
// "One request's path").
package server

import (
	"time"

	"mosaic/bff/admission"
	"mosaic/bff/request"
	"mosaic/clients/conn"
)

// Config is what the handlers are built with. Listeners, discovery and the
// mock downstreams are the caller's: New gets their results in Deps.
type Config struct {
	// Mock: the downstreams are mocks. X-Mock-Scenario is then validated,
	// carried downstream and never sampled by admission, and the
	// operations the spec mocks answer with its examples.
	Mock bool
	// Seed seeds the spec's mocked examples (the mock dataset's seed).
	Seed int64
	// Deadline bounds one scene request, downstream calls included.
	Deadline time.Duration
	// CallTimeout bounds one downstream call, its retries included, below
	// Deadline.
	CallTimeout time.Duration
	// Keepalive pings a downstream instance after this long with nothing
	// read from it, to find one that hangs (conn.Options.Keepalive); 0:
	// no pings.
	Keepalive time.Duration
	// Admission tunes the adaptive admission of scene requests. A zero
	// Target is an eighth of Deadline: on the overload rig (BENCHMARKS.md)
	// an overloaded instance kept as much goodput there as at a quarter,
	// with half the latency (a longer target only lets a queue stand), and
	// a request admitted at the target has most of its deadline to spare.
	// Min (64) keeps the shorter target from talking the limit down below
	// what keeps the instance busy. Metrics is New's own.
	Admission admission.Config
	// Cluster is this replica's cluster: its downstream instances are
	// preferred.
	Cluster string
	// Breaker and Policy tune the downstream connections (conn.Options);
	// zero values are mosaic's defaults.
	Breaker conn.BreakerSettings
	Policy  string
	// Trust is who may set X-User-Id; nil is nobody.
	Trust request.Trust
	// CORSOrigins may call the web routes from a browser.
	CORSOrigins []string
	// ServerTiming sends Server-Timing to every caller, not only to trusted
	// peers and in mock mode.
	ServerTiming bool
	// Cache configures the entity caches.
	Cache Cache
}

// Defaults is the production configuration, the defaults of cmd/bff's flags
// and of every end-to-end test.
func Defaults() Config {
	return Config{
		Seed:        1,
		Deadline:    800 * time.Millisecond,
		CallTimeout: 500 * time.Millisecond,
		Keepalive:   10 * time.Second,
		Admission: admission.Config{
			Min:       64,
			Max:       1024,
			QueueWait: 50 * time.Millisecond,
		},
		Cache: Cache{
			On:           true,
			ArchiveFresh: 10 * time.Second,
			AccountFresh: 10 * time.Second,
			StatFresh:    time.Second,
			Stale:        5 * time.Minute,
			Negative:     2 * time.Second,
			MB:           64,
		},
	}
}

// admission is c.Admission with its derived target and its metrics.
func (c Config) admission(m *admission.Metrics) admission.Config {
	a := c.Admission
	if a.Target == 0 {
		a.Target = c.Deadline / 8
	}
	a.Metrics = m
	return a
}
