package clients

import (
	"fmt"

	"google.golang.org/grpc"

	"mosaic/clients/account"
	"mosaic/clients/archive"
	"mosaic/clients/conn"
	"mosaic/clients/feed"
	"mosaic/clients/relation"
	"mosaic/clients/reply"
	"mosaic/clients/stat"
	"mosaic/internal/telemetry"
)

// Set is one typed client per downstream service of the registry (All).
type Set struct {
	Accounts    *account.Client
	Archives    *archive.Client
	Stats       *stat.Client
	Relations   *relation.Client
	Recommender *feed.Client
	Replies     *reply.Client
}

// Dial connects to every downstream of the registry, targets keyed by
// service name, and puts an entity cache configured by caches in front of
// each service with a CacheShare; nil caches: none, every read calls
// through. Connections are lazy: a downstream that is down fails its
// calls, not the start. close waits for the caches' background calls,
// then releases every connection.
func Dial(targets map[string]string, o conn.Options, caches *Caches, opts ...grpc.DialOption) (set *Set, close func(), err error) {
	if caches != nil {
		if err := caches.validate(); err != nil {
			return nil, nil, err
		}
	}
	var (
		conns   []*grpc.ClientConn
		loaders []func()
	)
	// The caches first: closing one waits for its detached calls (a
	// refresh, a call shared by requests), which need their connection.
	close = func() {
		for _, l := range loaders {
			l()
		}
		for _, c := range conns {
			c.Close()
		}
	}
	set = &Set{}
	for _, svc := range All() {
		cc, err := dial(svc, targets, o, opts)
		if err != nil {
			close()
			return nil, nil, err
		}
		conns = append(conns, cc)
		svc.bind(set, cc, svc.MaxBatch)
		if caches == nil || svc.cache == nil {
			continue
		}
		co := caches.options(svc)
		// The loader's detached calls (shared by several requests, or a
		// refresh) get the call timeout every other call gets; 0 leaves
		// the cache's own default.
		co.Timeout = o.CallTimeout
		co.MaxBatch = svc.MaxBatch
		co.Logger = telemetry.WithContextIDs(o.Logger)
		closeCache, err := svc.cache(set, svc.Name, co)
		if err != nil {
			close()
			return nil, nil, err
		}
		loaders = append(loaders, closeCache)
	}
	return set, close, nil
}

func dial(svc Service, targets map[string]string, o conn.Options, opts []grpc.DialOption) (*grpc.ClientConn, error) {
	t, ok := targets[svc.Name]
	if !ok {
		return nil, fmt.Errorf("no target for the %s service", svc.Name)
	}
	cc, err := conn.Dial(svc.Name, t, o, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", svc.Name, err)
	}
	return cc, nil
}
