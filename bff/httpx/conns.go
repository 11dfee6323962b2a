package httpx

import (
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// ConnMetrics count a listener's connections through http.Server.ConnState.
// A client that opens a connection per request, or reconnects after its
// own timeouts, costs the server a TCP handshake and a fresh read buffer on
// every one: under overload that is where the CPU goes, and the rate of new
// connections is how an operator sees it.
type ConnMetrics struct {
	opened    prometheus.Counter
	open      prometheus.Gauge
	reclaimed prometheus.Counter
}

// NewConnMetrics creates bff_http_connections_total,
// bff_http_connections_open and bff_http_connections_reclaimed_total and
// registers them on reg.
func NewConnMetrics(reg prometheus.Registerer) *ConnMetrics {
	m := &ConnMetrics{
		opened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bff_http_connections_total",
			Help: "Connections the public listener accepted.",
		}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bff_http_connections_open",
			Help: "Connections of the public listener open now, idle ones included. At -max-conns it can read a few above the cap for a moment: a connection closed to make room counts until the server is done with it.",
		}),
		reclaimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bff_http_connections_reclaimed_total",
			Help: "Connections closed to let a new one in, the public listener being at -max-conns: idle keep-alive ones, and new ones that sent no whole request header in time.",
		}),
	}
	reg.MustRegister(m.opened, m.open, m.reclaimed)
	return m
}

// ConnState is the http.Server hook. A connection ends either closed or
// hijacked, never both.
func (m *ConnMetrics) ConnState(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		m.opened.Inc()
		m.open.Inc()
	case http.StateClosed, http.StateHijacked:
		m.open.Dec()
	}
}

// Reclaimed counts one idle connection closed to make room (ConnLimit's
// hook).
func (m *ConnMetrics) Reclaimed() { m.reclaimed.Inc() }
