package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"mosaic/clients/instance"
	"mosaic/clients/registry"
	"mosaic/clients/subset"
)

// replicasService is what the BFF replicas register as, so that each knows
// the others: its subset of every downstream derives from all their ids.
const replicasService = "bff"

// discovery is this replica's view of the registry: resolvers for
// etcd:///<service> targets, subset by lane and cluster when -subset is
// set, and then this replica's own registration among its peers.
type discovery struct {
	cfg     config
	logger  *slog.Logger
	reg     prometheus.Registerer // of the metrics, for the registrar's
	metrics *registry.Metrics
	cli     *clientv3.Client
	peers   *registry.Peers     // nil without subsetting
	self    *registry.Registrar // nil until join
	builder *registry.Builder   // nil until dialOptions
}

// startDiscovery connects to the registry, its metrics registered on reg;
// nil without -registry.
func startDiscovery(cfg config, logger *slog.Logger, reg prometheus.Registerer) (*discovery, error) {
	if len(cfg.registry) == 0 {
		return nil, nil
	}
	cli, err := registry.Connect(cfg.registry, cfg.registrySec)
	if err != nil {
		return nil, fmt.Errorf("registry %v: %w", cfg.registry, err)
	}
	d := &discovery{cfg: cfg, logger: logger, reg: reg, metrics: registry.NewMetrics(reg), cli: cli}
	if cfg.subset > 0 {
		if d.peers, err = registry.WatchPeers(cli, replicasService, d.logs()...); err != nil {
			cli.Close()
			return nil, err
		}
	}
	return d, nil
}

// logs sends what the registry goes through to the log as warnings, and
// its good news (registered, etcd answering again) as info, and counts it
// in the metrics.
func (d *discovery) logs() []registry.Option {
	return []registry.Option{
		registry.WithLogf(func(format string, args ...any) { d.logger.Warn(fmt.Sprintf(format, args...)) }),
		registry.WithInfof(func(format string, args ...any) { d.logger.Info(fmt.Sprintf(format, args...)) }),
		registry.WithMetrics(d.metrics),
	}
}

// dialOptions resolve etcd:/// targets through the registry.
func (d *discovery) dialOptions() ([]grpc.DialOption, error) {
	if d == nil {
		return nil, nil
	}
	opts := d.logs()
	if d.peers != nil {
		opts = append(opts,
			registry.WithFilter(func(_ string, all []instance.Instance) []instance.Instance {
				cluster := d.cfg.server.Cluster
				var peers subset.Peers
				peers.All, peers.Local = d.peers.Membership(cluster)
				return subset.Instances(d.cfg.instanceID, cluster, peers, d.cfg.subset, all)
			}),
			registry.WithRefilter(d.peers.Subscribe))
	}
	b, err := registry.NewBuilder(d.cli, opts...)
	if err != nil {
		return nil, err
	}
	d.builder = b
	return []grpc.DialOption{grpc.WithResolvers(b)}, nil
}

// unresolved names the services discovered through the registry that have
// not had a baseline instance listed yet: until then this replica has no
// instance of each to call uncolored, and /readyz says which. nil: none.
func (d *discovery) unresolved(targets map[string]string) error {
	if d == nil || d.builder == nil {
		return nil
	}
	var waiting []string
	for _, t := range targets {
		if service, ok := strings.CutPrefix(t, "etcd:///"); ok && !d.builder.Listed(service) {
			waiting = append(waiting, service)
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	slices.Sort(waiting)
	return fmt.Errorf("the registry (%s) lists no baseline instance of %s yet", strings.Join(d.cfg.registry, ","), strings.Join(waiting, ", "))
}

// join registers this replica among its peers, when it subsets: the
// others count it from then on.
func (d *discovery) join(addr string) error {
	if d == nil || d.peers == nil {
		return nil
	}
	r, err := registry.NewRegistrar(d.cli, d.cfg.instanceID, []string{replicasService},
		instance.Instance{Addr: addr, Cluster: d.cfg.server.Cluster}, d.logs()...)
	if err != nil {
		return fmt.Errorf("registering replica %s: %w", d.cfg.instanceID, err)
	}
	d.self = r
	return registry.RegisterRegistrar(d.reg, "bff", r)
}

// leave deregisters this replica, first thing on shutdown, so that its
// peers recompute their subsets while it drains.
func (d *discovery) leave(ctx context.Context) {
	if d == nil || d.self == nil {
		return
	}
	if err := d.self.Deregister(ctx); err != nil {
		d.logger.Warn(fmt.Sprintf("registry: deregistering replica %s: %v", d.cfg.instanceID, err))
	}
}

// close stops watching; call it after closing the connections that
// resolve through it.
func (d *discovery) close() {
	if d == nil {
		return
	}
	if d.self != nil { // run failed before shutting down
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		d.leave(ctx)
		cancel()
	}
	if d.peers != nil {
		d.peers.Close()
	}
	d.cli.Close()
}
