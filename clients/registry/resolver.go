package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/resolver"

	"mosaic/clients/instance"
)

// Builder builds resolvers for etcd:///<service> targets on one etcd client.
// Register it with grpc.WithResolvers.
type Builder struct {
	cli *clientv3.Client
	o   options

	mu     sync.Mutex
	listed map[string]bool // services a resolver has listed at least once
}

// NewBuilder is a resolver builder reading the registry through cli, with
// every Option but WithTTL (a registrar's).
func NewBuilder(cli *clientv3.Client, opts ...Option) (*Builder, error) {
	o := newOptions(opts)
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Builder{cli: cli, o: o, listed: map[string]bool{}}, nil
}

// Listed reports whether a resolver of service has given its channel
// instances at least once: until then the channel has no addresses, and a
// replica that serves before is not ready (every call would fail, and,
// should the registry go away first, it has nothing to serve from). A
// registry read that lists no instance yet (the bff up before its
// downstreams) is not enough.
func (b *Builder) Listed(service string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.listed[service]
}

func (b *Builder) markListed(service string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.listed[service] = true
}

// Scheme is "etcd".
func (*Builder) Scheme() string { return Scheme }

// Build starts resolving the service named by the target's endpoint.
func (b *Builder) Build(target resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	service := strings.TrimPrefix(target.Endpoint(), "/")
	if !validName(service) {
		return nil, fmt.Errorf("registry: target %q: want etcd:///<service>", target.URL.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &etcdResolver{
		o:       b.o,
		service: service,
		prefix:  servicePrefix(b.o.prefix, service),
		cc:      cc,
		cancel:  cancel,
		listed:  func() { b.markListed(service) },
	}
	w := &keys{cli: b.cli, o: b.o, prefix: r.prefix, name: service, service: service, changed: r.changed, failed: r.failed}
	if b.o.subscribe != nil {
		refresh, unsubscribe := b.o.subscribe()
		w.refresh = refresh
		r.wg.Go(func() { <-ctx.Done(); unsubscribe() })
	}
	r.wg.Go(func() { w.run(ctx) })
	return r, nil
}

// etcdResolver reports the instances of one service, as its keys change
// (see keys for how it survives the registry's faults).
type etcdResolver struct {
	o       options
	service string
	prefix  string
	cc      resolver.ClientConn
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	listed func() // the channel has had instances
	// Owned by the keys goroutine.
	instances map[string]instance.Instance // by key
	reported  []instance.Instance          // last list given to cc; nil before any
}

// ResolveNow does nothing: the watch already delivers every change, and
// re-listing on every subchannel failure would load etcd most when it is
// least able to answer.
func (*etcdResolver) ResolveNow(resolver.ResolveNowOptions) {}

// Close stops the resolver and waits for its goroutine.
func (r *etcdResolver) Close() {
	r.cancel()
	r.wg.Wait()
}

// changed takes in the service's current keys.
func (r *etcdResolver) changed(kvs map[string][]byte) {
	r.instances = make(map[string]instance.Instance, len(kvs))
	for k, v := range kvs {
		r.put(k, v)
	}
	r.report()
}

// failed keeps the last list serving; before there is one, the error says
// why calls fail.
func (r *etcdResolver) failed(err error, tries int) {
	switch {
	case !logged(tries):
	case r.reported != nil:
		r.o.logf("registry: listing %s (try %d%s): %v; the last list keeps serving", r.service, tries, nextLogged(tries), err)
	default:
		r.o.logf("registry: listing %s (try %d%s): %v; no list yet: its calls fail until one comes", r.service, tries, nextLogged(tries), err)
	}
	if r.reported == nil {
		r.cc.ReportError(fmt.Errorf("registry: listing %s: %w", r.service, err))
	}
}

// put records the instance of key, or forgets key if its value is not one:
// a bad value from one writer must not take the others down.
func (r *etcdResolver) put(key string, value []byte) {
	var inst instance.Instance
	if err := json.Unmarshal(value, &inst); err != nil || inst.Addr == "" {
		r.o.logf("registry: ignoring %s: not an instance: %q", key, value)
		delete(r.instances, key)
		return
	}
	r.instances[key] = inst
}

// report gives cc the filtered instances, unless that would be none after a
// non-empty list. An empty state makes every call on the channel fail at
// once, whereas old addresses fail only if those instances are really gone
// (and health checking moves calls off them). And an empty list is what a
// registry shows when it lost its leases, not its instances: after an etcd
// outage longer than the TTL, a list can come before the instances have
// registered again. Until something is registered, the error says why calls
// fail.
//
// A list with no baseline instance is as good as empty to uncolored calls,
// which never go to a lane (clients/balance): it never replaces a list
// that has one, for the same reason (after an outage, a canary may
// register again first), and until a baseline instance is listed the
// service does not count as listed (Builder.Listed: /readyz waits), though
// the lanes' calls get their instances.
func (r *etcdResolver) report() {
	keys := make([]string, 0, len(r.instances))
	for k := range r.instances {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	all := make([]instance.Instance, len(keys))
	for i, k := range keys {
		all[i] = r.instances[k]
	}
	list := all
	if r.o.filter != nil {
		list = r.o.filter(r.service, slices.Clone(all))
	}
	switch {
	case len(list) == 0 && r.reported == nil:
		r.o.metrics.setInstances(r.service, 0) // a series to alert on, before any instance
		err := fmt.Errorf("registry: no instance of %s registered under %s", r.service, r.prefix)
		r.o.logf("%v (%d before filtering): its calls fail until one is", err, len(all))
		r.cc.ReportError(err)
		return
	case len(list) == 0:
		r.o.logf("registry: %s lists no instance (%d before filtering); keeping the last %d", r.service, len(all), len(r.reported))
		return
	case !baseline(list) && baseline(r.reported):
		r.o.logf("registry: %s lists no baseline instance, only %d in lanes; keeping the last %d", r.service, len(list), len(r.reported))
		return
	case slices.Equal(list, r.reported):
		return
	}
	addrs := make([]resolver.Address, len(list))
	for i, inst := range list {
		addrs[i] = inst.Address()
	}
	if err := r.cc.UpdateState(resolver.State{Addresses: addrs}); err != nil {
		r.o.logf("registry: %s: the channel rejected %d addresses: %v", r.service, len(addrs), err)
	}
	r.o.metrics.setInstances(r.service, len(list))
	r.o.info("registry: %s instances: %d (%s)", r.service, len(list), changes(r.reported, list))
	if baseline(list) {
		r.listed()
	} else {
		r.o.logf("registry: %s lists no baseline instance, only %d in lanes: uncolored calls fail until one registers", r.service, len(list))
	}
	r.reported = list
}

// changes says how list differs from was, instance by instance: "+a -b",
// a lane's instances marked with it, "+c (canary)". An operator reads
// from it which instances came and went, and when.
func changes(was, list []instance.Instance) string {
	var out []string
	mark := func(sign string, i instance.Instance) {
		s := sign + i.Addr
		if i.Color != "" {
			s += " (" + i.Color + ")"
		}
		out = append(out, s)
	}
	for _, i := range list {
		if !slices.Contains(was, i) {
			mark("+", i)
		}
	}
	for _, i := range was {
		if !slices.Contains(list, i) {
			mark("-", i)
		}
	}
	return strings.Join(out, " ")
}

// baseline reports whether list has an instance of the baseline lane.
func baseline(list []instance.Instance) bool {
	return slices.ContainsFunc(list, func(i instance.Instance) bool { return i.Color == "" })
}
