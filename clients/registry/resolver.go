package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/resolver"

	"mosaic/clients/instance"
)

// Builder builds resolvers for etcd:///<service> targets on one etcd client.
// Register it with grpc.WithResolvers.
type Builder struct {
	cli *clientv3.Client
	o   options
}

// NewBuilder is a resolver builder reading the registry through cli. Its
// options are WithPrefix, WithBackoff, WithTimeout, WithFilter and WithLogf.
func NewBuilder(cli *clientv3.Client, opts ...Option) (*Builder, error) {
	o := newOptions(opts)
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Builder{cli: cli, o: o}, nil
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
		cli:     b.cli,
		o:       b.o,
		service: service,
		prefix:  servicePrefix(b.o.prefix, service),
		cc:      cc,
		cancel:  cancel,
	}
	r.wg.Go(func() { r.run(ctx) })
	return r, nil
}

// etcdResolver lists a service's keys, then watches them from the listed
// revision on. Whatever breaks the watch (compaction, etcd restarted or
// unreachable, a canceled watch), it lists and watches again, with backoff,
// while the addresses last reported keep serving: unlike etcd's own
// naming/resolver, it never stops for good.
type etcdResolver struct {
	cli     *clientv3.Client
	o       options
	service string
	prefix  string
	cc      resolver.ClientConn
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// Owned by the run goroutine.
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

func (r *etcdResolver) run(ctx context.Context) {
	failures := 0
	for {
		if failures > 0 && !sleep(ctx, r.o.backoff.Delay(failures)) {
			return
		}
		rev, err := r.list(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			r.o.logf("registry: listing %s (try %d): %v; the last list keeps serving", r.service, failures, err)
			if r.reported == nil {
				r.cc.ReportError(fmt.Errorf("registry: listing %s: %w", r.service, err))
			}
			continue
		}
		began := time.Now()
		err = r.watch(ctx, rev+1)
		if ctx.Err() != nil {
			return
		}
		r.o.logf("registry: watch of %s broke: %v; listing again", r.service, err)
		// A watch that held for a while was healthy: start the backoff over.
		if time.Since(began) >= r.o.backoff.Max {
			failures = 1
		} else {
			failures++
		}
	}
}

// list reads every key of the service, reports them, and returns the
// revision they were read at.
func (r *etcdResolver) list(ctx context.Context) (int64, error) {
	octx, cancel := context.WithTimeout(ctx, r.o.opTimeout)
	defer cancel()
	resp, err := r.cli.Get(octx, r.prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	r.instances = make(map[string]instance.Instance, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		r.put(string(kv.Key), kv.Value)
	}
	r.report()
	return resp.Header.GetRevision(), nil
}

// watch applies every change from revision rev on, until the watch ends. It
// requires a leader, so that a member cut off from its cluster ends the
// watch instead of serving a list that no longer changes.
func (r *etcdResolver) watch(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel() // ends etcd's watch goroutines for this watch
	wch := r.cli.Watch(wctx, r.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev))
	for resp := range wch {
		if err := resp.Err(); err != nil {
			return err
		}
		for _, ev := range resp.Events {
			switch ev.Type {
			case clientv3.EventTypePut:
				r.put(string(ev.Kv.Key), ev.Kv.Value)
			case clientv3.EventTypeDelete:
				delete(r.instances, string(ev.Kv.Key))
			}
		}
		if len(resp.Events) > 0 {
			r.report()
		}
	}
	return errors.New("watch channel closed")
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
		r.cc.ReportError(fmt.Errorf("registry: no instance of %s registered under %s", r.service, r.prefix))
		return
	case len(list) == 0:
		r.o.logf("registry: %s lists no instance (%d before filtering); keeping the last %d", r.service, len(all), len(r.reported))
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
	r.reported = list
}
