package registry

import "github.com/prometheus/client_golang/prometheus"

// Metrics are what discovery goes through, for an operator to alert on: a
// replica that serves on for hours from a list etcd no longer updates, or
// with one instance left of a service, looks healthy everywhere else.
type Metrics struct {
	reachable *prometheus.GaugeVec
	instances *prometheus.GaugeVec
}

// NewMetrics creates the registry's series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reachable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bff_registry_reachable",
			Help: "1 when etcd answered the last list or check of a watched service's keys, 0 when it did not (the service's last list keeps serving).",
		}, []string{"service"}),
		instances: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bff_registry_instances",
			Help: "Instances of a downstream service its channel has, after subsetting, every lane included.",
		}, []string{"service"}),
	}
	reg.MustRegister(m.reachable, m.instances)
	return m
}

// WithMetrics counts into m what the resolvers and Peers go through.
func WithMetrics(m *Metrics) Option { return func(o *options) { o.metrics = m } }

func (m *Metrics) setReachable(name string, ok bool) {
	if m == nil {
		return
	}
	v := 0.0
	if ok {
		v = 1
	}
	m.reachable.WithLabelValues(name).Set(v)
}

func (m *Metrics) setInstances(service string, n int) {
	if m != nil {
		m.instances.WithLabelValues(service).Set(float64(n))
	}
}

// RegisterRegistrar puts on reg, named under namespace (bff, mock), whether
// r's keys are in etcd under a lease kept alive, and how many times they
// were written under a fresh one. An instance that serves but is not
// registered (etcd away, or refusing its writes while reads still work: a
// read-only user, a lease quota) is invisible to the fleet and healthy
// everywhere else; only these say so.
func RegisterRegistrar(reg prometheus.Registerer, namespace string, r *Registrar) error {
	registered := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "registry", Name: "registered",
		Help: "1 while this instance's keys are in etcd under a lease kept alive, 0 while they are not: retrying, or deregistered at shutdown.",
	}, func() float64 {
		if r.Lease() != 0 {
			return 1
		}
		return 0
	})
	registrations := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "registry", Name: "registrations_total",
		Help: "Times this instance's keys were written under a fresh lease: 1 after the first, one more after each lease lost and registered again.",
	}, func() float64 { return float64(r.Registrations()) })
	if err := reg.Register(registered); err != nil {
		return err
	}
	return reg.Register(registrations)
}
