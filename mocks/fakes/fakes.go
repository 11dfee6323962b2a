// Package fakes is the six fake downstream gRPC services, served from a
// dataset.Dataset: one registry entry per service, and the interceptor chain
// (recorder, latency, scenarios) a mock server is built with.
package fakes

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"mosaic/mocks/dataset"
	"mosaic/mocks/record"
	"mosaic/mocks/scenario"
)

// Service is one mock service: the clients' short name for it, and how its
// fake is registered.
type Service struct {
	Name     string
	register func(grpc.ServiceRegistrar, *server)
}

// Register registers the service, backed by ds, on r.
func (s Service) Register(r grpc.ServiceRegistrar, ds *dataset.Dataset) {
	s.register(r, &server{data: ds})
}

// Names returns the registry's service names, in its order.
func Names() []string {
	var names []string
	for _, s := range Services() {
		names = append(names, s.Name)
	}
	return names
}

// Register registers the named services, backed by ds, on s. It is how
// cmd/mocksvc serves any subset of them on one address.
func Register(s grpc.ServiceRegistrar, ds *dataset.Dataset, names ...string) error {
	all := Services()
	for _, name := range names {
		i := slices.IndexFunc(all, func(svc Service) bool { return svc.Name == name })
		if i < 0 {
			return fmt.Errorf("fakes: unknown service %q (want one of %v)", name, Names())
		}
		all[i].Register(s, ds)
	}
	return nil
}

// Options configures a mock server's interceptors.
type Options struct {
	Recorder *record.Recorder // records every call, latency included; may be nil
	Latency  time.Duration    // added to every call
	Jitter   time.Duration    // uniform extra [0, Jitter) per call
	// Scenarios makes the servers honor x-mock-scenario metadata
	// (scenario.Interceptor), after the recorder and the latency.
	Scenarios bool
	// Interceptors run after the recorder, the latency and the scenarios,
	// closest to the handler (e.g. a test's own fault injection).
	Interceptors []grpc.UnaryServerInterceptor
}

// ServerOptions are the options of a mock gRPC server configured by o: one
// chain of unary interceptors, in order the recorder (outermost, so it
// records the final code and the whole duration), the latency, the
// scenarios, then o.Interceptors. cluster.Start and cmd/mocksvc build their
// servers with it.
func (o Options) ServerOptions() []grpc.ServerOption {
	var chain []grpc.UnaryServerInterceptor
	if o.Recorder != nil {
		chain = append(chain, o.Recorder.Interceptor())
	}
	if o.Latency > 0 || o.Jitter > 0 {
		chain = append(chain, scenario.LatencyInterceptor(o.Latency, o.Jitter))
	}
	if o.Scenarios {
		chain = append(chain, scenario.Interceptor())
	}
	chain = append(chain, o.Interceptors...)
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(chain...),
		// The BFF pings every 10 s with nothing read (its health watch keeps
		// a stream open, so idle connections too): gRPC's default policy
		// (once in 5 minutes) would answer too_many_pings.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	}
}
