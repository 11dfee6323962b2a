package bench

import (
	"context"
	"errors"
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
	"mosaic/internal/bench/child"
	"mosaic/internal/bench/floor"
	"mosaic/internal/bench/naive"
	"mosaic/internal/bench/reference"
)

// servePrefix starts the line on which bench-serve announces its address.
const servePrefix = "bench-serve is serving on "

// ServeBanner parses bench-serve's line; its /metrics shares the listener.
func ServeBanner(c *child.Child) func(string) bool {
	return func(line string) bool {
		if !strings.HasPrefix(line, servePrefix) {
			return false
		}
		u, ok := child.URLAfter(line, servePrefix)
		if ok {
			c.Base, c.Metrics = u, u+"/metrics"
		}
		return ok
	}
}

// FormatTargets is addrs (service → host:port) as bench-serve's -targets.
func FormatTargets(addrs map[string]string) string {
	var targets []string
	for _, svc := range clients.Services() {
		targets = append(targets, svc+"="+addrs[svc])
	}
	return strings.Join(targets, ",")
}

// ParseTargets reads "svc=host:port,svc=host:port" for all six services.
func ParseTargets(s string) (map[string]string, error) {
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

// Serve runs the floor or the naive BFF over the downstreams at targets,
// on addr, until ctx ends: bench re-executes bffctl to run it as a process
// of its own, so that its CPU time and allocations are read from its
// /metrics exactly as mosaic's are. It announces its address on stdout.
func Serve(ctx context.Context, impl string, targets map[string]string, addr string, stdout io.Writer) error {
	if impl != Floor && impl != Naive {
		return fmt.Errorf("-impl %q: want floor or naive", impl)
	}
	s, closeConns, err := reference.Dial(targets)
	if err != nil {
		return err
	}
	defer closeConns()
	var scenes reference.Scenes = floor.New(s)
	if impl == Naive {
		scenes = naive.New(s)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: serveMux(reference.Server{Scenes: scenes}), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stdout, "%shttp://%s (%s)\n", servePrefix, ln.Addr(), impl)
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

// serveMux adds to the scenes the process's /metrics, and the CPU profile
// for bench -profile, as on mosaic's admin listener.
func serveMux(scenes http.Handler) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			metrics.ServeHTTP(w, r)
		case "/debug/pprof/profile":
			pprof.Profile(w, r)
		default:
			scenes.ServeHTTP(w, r)
		}
	})
}
