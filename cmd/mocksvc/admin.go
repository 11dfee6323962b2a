package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"mosaic/bff/problem"
	"mosaic/dto"
	"mosaic/mocks/record"
)

// healthSwitch is the gRPC health of every service of the server, which tests
// (and operators) can flip through the admin API, and which shutdown turns
// NOT_SERVING for good.
type healthSwitch struct {
	hs    *health.Server
	names []string // "" and every registered service

	mu       sync.Mutex
	serving  bool
	shutdown bool
}

func newHealthSwitch(srv *grpc.Server) *healthSwitch {
	h := &healthSwitch{hs: health.NewServer(), names: []string{""}, serving: true} // "" starts SERVING
	for name := range srv.GetServiceInfo() {
		h.names = append(h.names, name) // e.g. "stat.v1.StatService"
	}
	h.set(true)
	healthpb.RegisterHealthServer(srv, h.hs)
	return h
}

func (h *healthSwitch) set(serving bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shutdown {
		return
	}
	h.serving = serving
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		st = healthpb.HealthCheckResponse_SERVING
	}
	for _, name := range h.names {
		h.hs.SetServingStatus(name, st)
	}
}

func (h *healthSwitch) isServing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.serving
}

// Shutdown makes every service NOT_SERVING, and keeps it so.
func (h *healthSwitch) Shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.serving, h.shutdown = false, true
	h.hs.Shutdown()
}

// callCounter counts the mock services' calls, and the IDs they asked for,
// by service, method and this instance's lane and cluster, so that tests of
// routing count where traffic went at the mocks themselves, and a bench
// counts what a screen cost downstream. Health checks are not counted: they
// are not traffic. IDs are counted as the test oracle counts them
// (record.IDs), from the request as received.
type callCounter struct {
	calls, ids     *prometheus.CounterVec
	color, cluster string
}

func newCallCounter(reg prometheus.Registerer, color, cluster string) *callCounter {
	labels := []string{"service", "method", "color", "cluster"}
	c := &callCounter{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mock_rpc_calls_total",
			Help: "Calls received, by service, method and the instance's -color and -cluster.",
		}, labels),
		ids: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mock_rpc_ids_total",
			Help: "IDs asked for (aids, mids, target_mids of batch calls), by service, method and the instance's -color and -cluster.",
		}, labels),
		color: color, cluster: cluster,
	}
	reg.MustRegister(c.calls, c.ids)
	return c
}

// interceptor counts a call when it arrives, whatever its outcome.
func (c *callCounter) interceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if service, method, ok := record.SplitMethod(info.FullMethod); ok {
		c.calls.WithLabelValues(service, method, c.color, c.cluster).Inc()
		c.ids.WithLabelValues(service, method, c.color, c.cluster).Add(float64(len(record.IDs(req))))
	}
	return handler(ctx, req)
}

// adminHandler serves /metrics, /healthz (alive), /readyz (gRPC health
// SERVING) and /health (GET the gRPC health; POST ?serving=true|false to set
// it).
func adminHandler(reg *prometheus.Registry, h *healthSwitch) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !h.isServing() {
			problem.Write(w, dto.Problem{Status: http.StatusServiceUnavailable, Detail: "gRPC health is NOT_SERVING"})
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { writeServing(w, h.isServing()) })
	mux.HandleFunc("POST /health", func(w http.ResponseWriter, r *http.Request) {
		serving, err := strconv.ParseBool(r.URL.Query().Get("serving"))
		if err != nil {
			problem.BadParam(w, "serving", "want serving=true or serving=false")
			return
		}
		h.set(serving)
		writeServing(w, h.isServing()) // false after shutdown, whatever was asked
	})
	return problems(mux)
}

func writeServing(w http.ResponseWriter, serving bool) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]bool{"serving": serving})
}

// problems answers what the mux rejects (unknown path, wrong method) with
// problem+json instead of its plain-text bodies.
func problems(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			h.ServeHTTP(w, r)
			return
		}
		rec := &statusOnly{header: http.Header{}, status: http.StatusNotFound}
		h.ServeHTTP(rec, r) // learns 404 or 405, and the Allow header
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		problem.Write(w, dto.Problem{Status: rec.status, Detail: r.Method + " " + r.URL.Path + " is not served"})
	})
}

// statusOnly records the status and headers of the mux's error handlers.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header         { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(code int)        { s.status = code }

// adminServer is the admin HTTP server; a nil one (no -admin-addr) does
// nothing.
type adminServer struct {
	srv  *http.Server
	addr net.Addr
	err  chan error
}

func startAdmin(ctx context.Context, addr string, h http.Handler) (*adminServer, error) {
	if addr == "" {
		return nil, nil
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listen: %w", err)
	}
	a := &adminServer{srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, addr: lis.Addr(), err: make(chan error, 1)}
	go func() {
		if err := a.srv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
			a.err <- err
		}
		close(a.err)
	}()
	return a, nil
}

func (a *adminServer) announce() string {
	if a == nil {
		return ""
	}
	return " admin " + a.addr.String()
}

// errc delivers a failure of the server; nil (blocking forever) without one.
func (a *adminServer) errc() <-chan error {
	if a == nil {
		return nil
	}
	return a.err
}

// close stops the server and waits for its goroutine. It closes rather than
// drains: the admin endpoints answer at once, and the process is exiting.
func (a *adminServer) close() {
	if a == nil {
		return
	}
	a.srv.Close()
	for range a.err {
	}
}
