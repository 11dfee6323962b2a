// Package fakes is the six fake downstream gRPC services, served from a
// dataset.Dataset: one registry entry per service, and the interceptor chain
// (recorder, latency, scenarios) a mock server is built with.
package fakes

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc"

	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	feedv1 "mosaic/clients/feed/v1"
	relationv1 "mosaic/clients/relation/v1"
	replyv1 "mosaic/clients/reply/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/dataset"
	"mosaic/mocks/record"
	"mosaic/mocks/scenario"
)

// Service is one mock service: the clients' short name for it, and how to
// register its fake, backed by a dataset, on a gRPC server.
type Service struct {
	Name     string
	Register func(grpc.ServiceRegistrar, *dataset.Dataset)
}

// Services is the registry of mock services, in clients.Services() order:
// adding a downstream adds one entry here (TestRegistryMatchesClients).
func Services() []Service {
	return []Service{
		{clients.Account, func(s grpc.ServiceRegistrar, d *dataset.Dataset) {
			accountv1.RegisterAccountServiceServer(s, &accountServer{data: d})
		}},
		{clients.Archive, func(s grpc.ServiceRegistrar, d *dataset.Dataset) {
			archivev1.RegisterArchiveServiceServer(s, &archiveServer{data: d})
		}},
		{clients.Stat, func(s grpc.ServiceRegistrar, d *dataset.Dataset) {
			statv1.RegisterStatServiceServer(s, &statServer{data: d})
		}},
		{clients.Relation, func(s grpc.ServiceRegistrar, d *dataset.Dataset) {
			relationv1.RegisterRelationServiceServer(s, &relationServer{data: d})
		}},
		{clients.Feed, func(s grpc.ServiceRegistrar, d *dataset.Dataset) {
			feedv1.RegisterFeedServiceServer(s, &feedServer{data: d})
		}},
		{clients.Reply, func(s grpc.ServiceRegistrar, d *dataset.Dataset) {
			replyv1.RegisterReplyServiceServer(s, &replyServer{data: d})
		}},
	}
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
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(chain...)}
}
