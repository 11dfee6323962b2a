package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"mosaic"
	"mosaic/bff"
	"mosaic/bff/admin"
	"mosaic/bff/admission"
	"mosaic/bff/assemble"
	"mosaic/bff/endpoint"
	"mosaic/bff/httpx"
	"mosaic/bff/openapi"
	"mosaic/bff/specmock"
	"mosaic/clients"
	"mosaic/clients/conn"
	"mosaic/internal/telemetry"
)

// Deps are what the handlers use and do not own.
type Deps struct {
	// Targets is every downstream service's gRPC target, by name
	// (clients.Services); MockTargets gives a mock cluster's.
	Targets map[string]string
	// DialOptions are added to every downstream connection, e.g. the
	// registry's resolver for etcd:/// targets.
	DialOptions []grpc.DialOption
	// Logger gets the access lines and the downstream failures.
	Logger *slog.Logger
	// Tracing records the server and client spans (telemetry.Off for none).
	Tracing telemetry.Tracing
	// Metrics gets every series registered; the admin handler serves it.
	Metrics *prometheus.Registry
	// Starved tells the downstream throttles when the process is short of
	// CPU (admission.NewStarvation(...).Starved); nil: never.
	Starved func() bool
	// Ready is the admin handler's /readyz: nil when this instance should
	// receive traffic, else why not.
	Ready func() error
}

func (d Deps) check() error {
	switch {
	case d.Logger == nil:
		return errors.New("server: Deps.Logger is nil")
	case d.Metrics == nil:
		return errors.New("server: Deps.Metrics is nil")
	case d.Ready == nil:
		return errors.New("server: Deps.Ready is nil")
	}
	return nil
}

// Handlers are the two listeners' handlers.
type Handlers struct {
	// Public serves the scene APIs, /openapi.yaml and /docs.
	Public http.Handler
	// Admin serves /metrics, /healthz, /readyz, /debug/pprof/ and the QA
	// pages.
	Admin http.Handler
	// Spec is the loaded api.openapi.yaml Public answers to.
	Spec *openapi.Spec
}

// New connects to the downstreams (lazily: one that is down fails its
// calls, not the start) and builds the handlers over them. close releases
// the connections; call it once the listeners have drained.
func New(cfg Config, d Deps) (h Handlers, close func(), err error) {
	if err := d.check(); err != nil {
		return Handlers{}, nil, err
	}
	spec, err := openapi.Load()
	if err != nil {
		return Handlers{}, nil, err
	}
	specMocks, err := specmock.New(spec.Doc, cfg.Seed, cfg.Mock, cfg.Trust)
	if err != nil {
		return Handlers{}, nil, err
	}
	if err := cfg.Cache.Validate(); err != nil {
		return Handlers{}, nil, err
	}
	set, closeConns, err := clients.Dial(d.Targets, conn.Options{
		Metrics:         conn.NewMetrics(d.Metrics),
		CallTimeout:     cfg.CallTimeout,
		Keepalive:       cfg.Keepalive,
		Breaker:         cfg.Breaker,
		Starved:         d.Starved,
		ForwardScenario: cfg.Mock,
		Cluster:         cfg.Cluster,
		Policy:          cfg.Policy,
		Logger:          d.Logger,
		TracerProvider:  d.Tracing.Provider,
		Propagator:      d.Tracing.Propagator,
	}, cfg.Cache.caches(d.Metrics), d.DialOptions...)
	if err != nil {
		return Handlers{}, nil, err
	}
	env := endpoint.Env{
		Scenes:       &assemble.Service{Set: set, CallTimeout: cfg.CallTimeout, Logger: d.Logger},
		Trust:        cfg.Trust,
		Deadline:     cfg.Deadline,
		Metrics:      endpoint.NewMetrics(d.Metrics),
		CORSOrigins:  cfg.CORSOrigins,
		ServerTiming: cfg.ServerTiming,
	}
	if cfg.Mock {
		env.CheckScenario = checkScenario
	}
	limiter := admission.New(cfg.admission(admission.NewMetrics(d.Metrics)))
	admit := admission.NewMiddleware(limiter, env.Metrics.IsScene, admission.ScenarioUnsampled(cfg.Mock), env.Metrics.Refused)
	trusted := func(r *http.Request) bool { return cfg.Trust.Allows(r.RemoteAddr) }
	// Outside the tracing, whose wrapper hides the connection's deadline.
	public := httpx.CloseIfBody(d.Tracing.Handler(bff.NewServer(d.Logger, env, mosaic.OpenAPI(), admit, specMocks), trusted))
	return Handlers{
		Public: public,
		Admin:  admin.NewHandler(d.Metrics, d.Ready, admin.QA(public, spec)),
		Spec:   spec,
	}, closeConns, nil
}
