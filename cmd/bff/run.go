package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"mosaic/bff/admission"
	"mosaic/bff/httpx"
	"mosaic/bff/server"
	"mosaic/internal/cli"
	"mosaic/internal/flagenv"
	"mosaic/internal/telemetry"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return flagenv.UnlessHelp(err)
	}
	defer softMemoryLimit(cfg.server.Cache, getenv)()
	logger, tracing, err := observability(ctx, cfg, getenv, stderr)
	if err != nil {
		return err
	}
	// Once there is a logger, why the process ends is one of its lines
	// too (a port taken, etcd refused): a pipeline that alerts on ERROR
	// lines sees why a pod restarts, not only a plain line on stderr.
	defer func() {
		if err != nil {
			logger.Error("exiting", "error", err)
		}
	}()
	// So is a shutdown that a second signal cuts short (as main runs it).
	cli.OnCut(ctx, func(sig os.Signal) {
		logger.Error("second signal: exiting at once, the shutdown cut short", "signal", sig.String())
	})
	defer flushSpans(logger, tracing)
	if err := fitsContainer(cfg.server.Cache, memlimit.FromCgroup, logger); err != nil {
		return flagenv.Blame(err, cfg.flags)
	}
	targets, stopMocks, err := downstreams(ctx, cfg)
	if err != nil {
		return err
	}
	defer stopMocks() // last, after the HTTP servers have drained
	metrics := processMetrics()
	disc, err := startDiscovery(cfg, logger, metrics)
	if err != nil {
		return err
	}
	defer disc.close() // after the connections that resolve through it
	dialOpts, err := disc.dialOptions()
	if err != nil {
		return err
	}
	r := &replica{cfg: cfg, logger: logger, disc: disc, otlp: tracing.Endpoint, conns: httpx.NewConnMetrics(metrics)}
	h, closeConns, err := server.New(cfg.server, server.Deps{
		Targets:     targets,
		DialOptions: dialOpts,
		Logger:      logger,
		Tracing:     tracing,
		Metrics:     metrics,
		Starved:     admission.NewStarvation(admission.StarvationConfig{}).Starved,
		Ready:       func() error { return r.readiness(targets) },
	})
	if err != nil {
		return err
	}
	defer closeConns()
	return r.serve(ctx, h, stdout)
}

// downstreams are the configured targets, or in mock mode those of the
// mock services started here; stop stops them.
func downstreams(ctx context.Context, cfg config) (targets map[string]string, stop func(), err error) {
	if !cfg.mock() {
		return cfg.targets, func() {}, nil
	}
	cluster, err := cluster.Start(ctx, dataset.New(cfg.server.Seed, dataset.Classic()), fakes.Options{Latency: cfg.mockLatency, Jitter: cfg.mockJitter, Scenarios: true})
	if err != nil {
		return nil, nil, fmt.Errorf("starting mock downstreams: %w", err)
	}
	return server.MockTargets(cluster), cluster.Stop, nil
}

// processMetrics is the registry /metrics serves, with the Go runtime's
// and the process's series, and go_build_info: which build a replica runs
// (its module version, stamped by go build from the VCS; "(devel)" in
// the Docker image, built without .git), for an operator to tell a fleet
// mid-rollout from one that is not.
func processMetrics() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewBuildInfoCollector())
	return reg
}

// observability is what run tells through: its logger (-log-format,
// -log-level) and its tracing (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is
// set, off otherwise).
func observability(ctx context.Context, cfg config, getenv func(string) string, stderr io.Writer) (*slog.Logger, telemetry.Tracing, error) {
	logger, err := telemetry.NewLogger(stderr, cfg.logFormat, cfg.logLevel)
	if err != nil {
		return nil, telemetry.Tracing{}, err
	}
	tracing, err := telemetry.FromEnv(ctx, logger, getenv, "bff")
	return logger, tracing, err
}

// stopped notes a clean stop; run logs an error as it returns it.
func stopped(logger *slog.Logger, err error) error {
	if err == nil {
		logger.Info("stopped")
	}
	return err
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
