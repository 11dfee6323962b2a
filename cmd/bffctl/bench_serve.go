package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mosaic/clients"
)

// servePrefix starts the line on which bench-serve announces its address.
const servePrefix = "bench-serve is serving on "

// parseTargets reads "svc=host:port,svc=host:port" for all six services.
func parseTargets(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		svc, addr, ok := strings.Cut(kv, "=")
		if !ok || addr == "" {
			return nil, fmt.Errorf("-targets: %q is not service=host:port", kv)
		}
		out[svc] = addr
	}
	for _, svc := range clients.Services() {
		if _, ok := out[svc]; !ok {
			return nil, fmt.Errorf("-targets: no address for the %s service", svc)
		}
	}
	return out, nil
}

// benchServe is the hidden subcommand the bench re-executes itself with to
// run the floor or the naive BFF as a process of its own, so that its CPU
// time and allocations are read from its /metrics exactly as mosaic's are.
func benchServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench-serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	impl := fs.String("impl", "floor", "floor or naive")
	targetsFlag := fs.String("targets", "", "service=host:port for the six downstreams, comma-separated")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *impl != implFloor && *impl != implNaive {
		return fmt.Errorf("-impl %q: want floor or naive", *impl)
	}
	targets, err := parseTargets(*targetsFlag)
	if err != nil {
		return err
	}
	s, closeConns, err := dialStubs(targets)
	if err != nil {
		return err
	}
	defer closeConns()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	scenes := &refServer{s: s, naive: *impl == implNaive}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/metrics":
				metrics.ServeHTTP(w, r)
				return
			case "/debug/pprof/profile": // for bench -profile, as on mosaic's admin listener
				pprof.Profile(w, r)
				return
			}
			scenes.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%shttp://%s (%s)\n", servePrefix, ln.Addr(), *impl)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
