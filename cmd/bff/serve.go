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

	"golang.org/x/sync/errgroup"

	"mosaic/bff"
	"mosaic/bff/admin"
	"mosaic/bff/httpx"
	"mosaic/bff/server"
)

// replica is one BFF serving: its handlers behind the two listeners, its
// readiness, and the order it stops in.
type replica struct {
	cfg    config
	logger *slog.Logger
	disc   *discovery
	otlp   string // where spans go, for the log; "" when nowhere
	conns  *httpx.ConnMetrics
	ready  atomic.Bool
}

// readiness is nil while the replica should receive traffic: serving, not
// shutting down, with a baseline instance of every service it discovers.
func (r *replica) readiness(targets map[string]string) error {
	if !r.ready.Load() {
		return errors.New("not serving yet, or shutting down")
	}
	return r.disc.unresolved(targets)
}

// serve listens, joins the replica's peers, and serves until ctx is done;
// then it shuts down in order.
func (r *replica) serve(ctx context.Context, h server.Handlers, stdout io.Writer) error {
	// Requests' contexts derive from base, so that a shutdown past its
	// grace cuts them with httpx.ErrShutdown: a 503 in the metrics and the
	// log, where a plain cancellation would read as clients that left.
	base, cut := context.WithCancelCause(context.Background())
	defer cut(nil)
	public := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return base },
		Handler:           h.Public,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      r.cfg.server.Deadline + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		// Above bff.MaxHeaderBytes, so that an oversized header block gets
		// the handler's problem naming its largest field; past this bound,
		// what one connection's header read may cost, Go answers a
		// plain-text 431 itself.
		MaxHeaderBytes: 4 * bff.MaxHeaderBytes,
		ConnState:      r.conns.ConnState,
		// "OPTIONS *" goes to the handler, which answers it as any path it
		// does not serve (with nosniff, the access line): Go's own answer
		// is an empty 200 that skips both.
		DisableGeneralOptionsHandler: true,
	}
	// pprof extends WriteTimeout by the profile's duration, which the
	// admin handler bounds.
	adminSrv := &http.Server{
		Handler:           httpx.NoSniff(admin.Hosts(r.cfg.adminHosts)(h.Admin)),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		// As on the public listener; here the Host check runs first.
		DisableGeneralOptionsHandler: true,
	}
	publicLn, adminLn, err := r.listen()
	if err != nil {
		return err
	}
	if r.cfg.maxConns > 0 {
		// Past the cap a connection takes the place of an idle keep-alive
		// one or of one that sends no request, or waits to be accepted,
		// costing the kernel a queue slot
		// rather than the process a goroutine and its buffers: a flood of
		// connections (a client opening one per request, or reconnecting
		// after its own timeouts) made the collector, with the soft memory
		// limit set for the caches, take most of the CPU.
		lim := httpx.LimitConns(publicLn, r.cfg.maxConns, r.conns.Reclaimed)
		publicLn = lim
		public.ConnState = func(c net.Conn, s http.ConnState) {
			r.conns.ConnState(c, s)
			lim.ConnState(c, s)
		}
	}
	announce(stdout, r.cfg, publicLn.Addr(), adminLn.Addr())
	r.logger.Info("serving", "public", publicLn.Addr().String(), "admin", adminLn.Addr().String(), "mock", r.cfg.mock(), "otlp", r.otlp)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serveHTTP(public, publicLn) })
	g.Go(func() error { return serveHTTP(adminSrv, adminLn) })
	r.ready.Store(true)
	g.Go(func() error {
		<-gctx.Done()
		return r.shutdown(public, adminSrv, cut)
	})
	return stopped(r.logger, g.Wait())
}

// listen opens both listeners and, once they are up, joins the replica's
// peers at the public one.
func (r *replica) listen() (public, admin net.Listener, err error) {
	public, err = net.Listen("tcp", r.cfg.addr)
	if err != nil {
		return nil, nil, fmt.Errorf("public listener: %w", err)
	}
	admin, err = net.Listen("tcp", r.cfg.adminAddr)
	if err != nil {
		public.Close()
		return nil, nil, fmt.Errorf("admin listener: %w", err)
	}
	if err := r.disc.join(hostPort(public.Addr())); err != nil {
		public.Close()
		admin.Close()
		return nil, nil, err
	}
	return public, admin, nil
}

// shutdown: readiness goes false at once, so the load balancer stops
// sending; after the drain delay (its time to notice) the public listener
// closes and in-flight requests finish within the grace period. The admin
// listener goes last, so /readyz answers 503 throughout. What is still open
// when the grace is over is cut (cut cancels the public requests), and the
// shutdown is still the clean one asked for.
func (r *replica) shutdown(public, admin *http.Server, cut context.CancelCauseFunc) error {
	r.ready.Store(false)
	r.logger.Info("shutting down", "drain", r.cfg.drain.String(), "grace", r.cfg.grace.String())
	lctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	r.disc.leave(lctx)
	cancel()
	time.Sleep(r.cfg.drain)
	sctx, cancel := context.WithTimeout(context.Background(), r.cfg.grace)
	defer cancel()
	err := r.stop(sctx, "public", public, cut)
	actx, cancel := context.WithTimeout(context.Background(), time.Second) // an open profile may hold it
	defer cancel()
	return errors.Join(err, r.stop(actx, "admin", admin, nil))
}

// lastWords is how long requests cut at the end of the grace get to send
// their 503 before their connections close.
const lastWords = 250 * time.Millisecond

// stop shuts s down until ctx ends, then closes what is left open: a
// request still running, or a connection that never sent one (a browser's
// or a proxy's pre-connect, idle to the server only after 5 s). Either is
// logged, not failed: it is what the grace period is for. cut, if not nil,
// first cancels the requests still running, which then answer 503 within
// lastWords rather than leave their clients an empty reply.
func (r *replica) stop(ctx context.Context, name string, s *http.Server, cut context.CancelCauseFunc) error {
	err := s.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	r.logger.Warn("grace period over: closing the connections left", "listener", name)
	if cut != nil {
		cut(httpx.ErrShutdown)
		lctx, cancel := context.WithTimeout(context.Background(), lastWords)
		defer cancel()
		if s.Shutdown(lctx) == nil {
			return nil
		}
	}
	return s.Close()
}

func serveHTTP(s *http.Server, ln net.Listener) error {
	if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func announce(w io.Writer, cfg config, public, adminAddr net.Addr) {
	base := "http://" + hostPort(public)
	mode := "real downstreams"
	if cfg.mock() {
		mode = fmt.Sprintf("embedded mock downstreams (seed %d)", cfg.server.Seed)
	}
	fmt.Fprintf(w, "mosaic is serving on %s with %s\n", base, mode)
	// X-User-Id is taken from loopback in mock mode only; elsewhere from
	// -trusted-proxies, so a try line with it would show an anonymous feed.
	viewer := ""
	if cfg.mock() {
		viewer = " -H 'X-User-Id: 42'"
	}
	fmt.Fprintf(w, "  try:   curl -s '%s/app/v1/feed'%s -H 'X-Network: 4g' -H 'Accept-Language: zh-CN'\n", base, viewer)
	fmt.Fprintf(w, "         curl -s '%s/web/v1/feed?page=2&ps=5'%s\n", base, viewer)
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
