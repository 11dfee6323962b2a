package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"mosaic"
	"mosaic/bff"
	"mosaic/bff/admin"
	"mosaic/bff/admission"
	"mosaic/bff/endpoint"
	"mosaic/bff/openapi"
	"mosaic/bff/scene"
	"mosaic/bff/specmock"
	"mosaic/clients"
	"mosaic/clients/conn"
	"mosaic/internal/flagenv"
	"mosaic/internal/telemetry"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/scenario"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stdout, stderr)
	if errors.Is(err, flagenv.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger, tracing, err := observability(ctx, cfg, getenv, stderr)
	if err != nil {
		return err
	}
	defer flushSpans(logger, tracing)
	trust, err := cfg.trust()
	if err != nil {
		return err
	}

	targets := cfg.targets
	var checkScenario func(string) error
	if cfg.mock() {
		cluster, err := cluster.Start(ctx, dataset.New(cfg.seed, dataset.Classic()), fakes.Options{Latency: cfg.mockLatency, Jitter: cfg.mockJitter, Scenarios: true})
		if err != nil {
			return fmt.Errorf("starting mock downstreams: %w", err)
		}
		// Stopped last, after the HTTP servers have drained.
		defer cluster.Stop()
		targets = map[string]string{}
		for _, svc := range clients.Services() {
			targets[svc] = "static:///" + cluster.Addr(svc)
		}
		checkScenario = func(s string) error {
			_, err := scenario.Parse(s)
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	disc, err := startDiscovery(cfg, logger)
	if err != nil {
		return err
	}
	defer disc.close() // after the connections that resolve through it
	dialOpts, err := disc.dialOptions()
	if err != nil {
		return err
	}
	downstreams, closeConns, err := clients.Dial(targets, conn.Options{
		Metrics:         conn.NewMetrics(reg),
		CallTimeout:     cfg.callTimeout,
		ForwardScenario: cfg.mock(),
		Cluster:         cfg.cluster,
		Starved:         admission.NewStarvation(admission.StarvationConfig{}).Starved,
		Logger:          logger,
		TracerProvider:  tracing.Provider,
		Propagator:      tracing.Propagator,
	}, dialOpts...)
	if err != nil {
		return err
	}
	defer closeConns()

	var ready atomic.Bool
	env := endpoint.Env{
		Scenes:        &scene.Service{Set: downstreams},
		Trust:         trust,
		Deadline:      cfg.deadline,
		Metrics:       endpoint.NewMetrics(reg),
		CheckScenario: checkScenario,
		CORSOrigins:   cfg.corsOrigins,
		ServerTiming:  cfg.serverTiming,
	}
	spec, err := openapi.Load()
	if err != nil {
		return err
	}
	limiter := admission.New(admission.Config{
		Min:       cfg.minInflight,
		Max:       cfg.maxInflight,
		QueueWait: cfg.queueWait,
		// Half the deadline: measured against a quarter and a third, it keeps
		// goodput at 2× and 3× overload near the best (BENCHMARKS.md), and
		// admitted requests still finish well within the deadline.
		LatencyCeiling: cfg.deadline / 2,
		Metrics:        admission.NewMetrics(reg),
	})
	specMocks, err := specmock.New(spec.Doc, cfg.seed, cfg.mock())
	if err != nil {
		return err
	}
	publicHandler := tracing.Handler(bff.NewServer(logger, env, mosaic.OpenAPI, admission.NewMiddleware(limiter, admission.ScenarioUnsampled(cfg.mock())), specMocks))
	public := &http.Server{
		Handler:           publicHandler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      cfg.deadline + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	adminSrv := &http.Server{Handler: admin.NewHandler(reg, ready.Load, admin.QA(publicHandler, spec)), ReadHeaderTimeout: 5 * time.Second}

	publicLn, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("public listener: %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.adminAddr)
	if err != nil {
		publicLn.Close()
		return fmt.Errorf("admin listener: %w", err)
	}
	if err := disc.join(hostPort(publicLn.Addr())); err != nil {
		publicLn.Close()
		adminLn.Close()
		return err
	}
	announce(stdout, cfg, publicLn.Addr(), adminLn.Addr())
	logger.Info("serving", "public", publicLn.Addr().String(), "admin", adminLn.Addr().String(), "mock", cfg.mock(), "otlp", tracing.Endpoint)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serve(public, publicLn) })
	g.Go(func() error { return serve(adminSrv, adminLn) })
	ready.Store(true)
	g.Go(func() error {
		<-gctx.Done()
		// Readiness goes false at once, so the load balancer stops sending;
		// after the drain delay (its time to notice) the public listener
		// closes and in-flight requests finish within the grace period. The
		// admin listener goes last, so /readyz answers 503 throughout.
		ready.Store(false)
		logger.Info("shutting down", "drain", cfg.drain.String(), "grace", cfg.grace.String())
		lctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		disc.leave(lctx)
		cancel()
		time.Sleep(cfg.drain)
		sctx, cancel := context.WithTimeout(context.Background(), cfg.grace)
		defer cancel()
		err := public.Shutdown(sctx)
		return errors.Join(err, adminSrv.Shutdown(sctx))
	})
	return stopped(logger, g.Wait())
}

// observability is what run tells through: its logger (-log-format,
// -log-level) and its tracing (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is
// set, off otherwise).
func observability(ctx context.Context, cfg config, getenv func(string) string, stderr io.Writer) (*slog.Logger, telemetry.Tracing, error) {
	logger, err := telemetry.NewLogger(stderr, cfg.logFormat, cfg.logLevel)
	if err != nil {
		return nil, telemetry.Tracing{}, err
	}
	tracing, err := telemetry.FromEnv(ctx, getenv, "bff")
	return logger, tracing, err
}

func stopped(logger *slog.Logger, err error) error {
	if err != nil {
		logger.Error("stopped", "error", err)
		return err
	}
	logger.Info("stopped")
	return nil
}

// flushSpans sends the spans still buffered, bounded so that an
// unreachable collector cannot hold up the exit.
func flushSpans(logger *slog.Logger, t telemetry.Tracing) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		logger.Warn("flushing spans", "error", err)
	}
}

func serve(s *http.Server, ln net.Listener) error {
	if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func announce(w io.Writer, cfg config, public, adminAddr net.Addr) {
	base := "http://" + hostPort(public)
	mode := "real downstreams"
	if cfg.mock() {
		mode = fmt.Sprintf("embedded mock downstreams (seed %d)", cfg.seed)
	}
	fmt.Fprintf(w, "mosaic is serving on %s with %s\n", base, mode)
	fmt.Fprintf(w, "  try:   curl -s '%s/app/v1/feed' -H 'X-User-Id: 42' -H 'X-Network: 4g'\n", base)
	fmt.Fprintf(w, "         curl -s '%s/web/v1/feed?ps=5' -H 'Accept-Language: zh-CN'\n", base)
	fmt.Fprintf(w, "  spec:  %s/openapi.yaml (reference: %s/docs)\n", base, base)
	fmt.Fprintf(w, "  admin: http://%s/metrics /healthz /readyz /debug/pprof/\n", hostPort(adminAddr))
	fmt.Fprintf(w, "  qa:    http://%s/debug/compare?path=/v1/feed&network=2g&lang=en\n", hostPort(adminAddr))
}

// hostPort makes a wildcard listen address something a browser can open.
func hostPort(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}
