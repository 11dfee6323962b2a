package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"mosaic/clients/instance"
)

// Registrar keeps one instance's keys, one per service it serves, in etcd
// under a lease it keeps alive. When the lease is lost (etcd restarted or
// unreachable for longer than the TTL, the lease expired or revoked) it
// registers again under a new lease, retrying with backoff for as long as it
// lives: a registrar that gave up would leave a healthy instance out of
// discovery until someone restarted it. For the same reason, a key deleted
// while the lease lives is written again (hold).
type Registrar struct {
	cli    *clientv3.Client
	o      options
	id     string
	keys   []string
	value  string
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	lease   clientv3.LeaseID // last lease granted, live or not; 0 before any
	live    bool             // the keys are written and the lease kept alive
	count   int              // registrations so far
	changed chan struct{}    // closed and replaced whenever live or count change
}

// NewRegistrar validates its arguments and starts registering inst as
// instance id of each service in the background; it does not wait for etcd.
// Deregister stops it.
func NewRegistrar(cli *clientv3.Client, id string, services []string, inst instance.Instance, opts ...Option) (*Registrar, error) {
	o := newOptions(opts)
	if err := o.validate(); err != nil {
		return nil, err
	}
	if !validName(id) {
		return nil, fmt.Errorf("registry: instance id %q: want a non-empty name without / or spaces", id)
	}
	if inst.Addr == "" {
		return nil, errors.New("registry: the instance has no address")
	}
	if len(services) == 0 {
		return nil, errors.New("registry: no service to register")
	}
	value, err := json.Marshal(inst)
	if err != nil {
		return nil, err
	}
	r := &Registrar{cli: cli, o: o, id: id, value: string(value), done: make(chan struct{}), changed: make(chan struct{})}
	for _, s := range services {
		if !validName(s) {
			return nil, fmt.Errorf("registry: service name %q: want a non-empty name without / or spaces", s)
		}
		k := Key(o.prefix, s, id)
		if slices.Contains(r.keys, k) {
			return nil, fmt.Errorf("registry: service %q listed twice", s)
		}
		r.keys = append(r.keys, k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.run(ctx)
	return r, nil
}

// Keys are the registrar's keys, one per service, in the order given.
func (r *Registrar) Keys() []string { return slices.Clone(r.keys) }

// Registrations is how many times the keys have been written under a fresh
// lease: 1 after the first registration, one more after each recovery.
func (r *Registrar) Registrations() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

// Lease is the lease the keys are kept alive under, or 0 while the registrar
// is not registered.
func (r *Registrar) Lease() clientv3.LeaseID {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.live {
		return 0
	}
	return r.lease
}

// Wait returns once the registrar is registered and has registered at least n
// times, or with ctx's error.
func (r *Registrar) Wait(ctx context.Context, n int) error {
	for {
		r.mu.Lock()
		ok, changed := r.live && r.count >= n, r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Deregister stops re-registering and revokes the lease, which deletes every
// key of the registrar in one revision: resolvers see the instance go at once
// rather than when the TTL runs out. Later calls do nothing. If etcd cannot
// be reached within ctx, the keys still go when the lease expires.
func (r *Registrar) Deregister(ctx context.Context) error {
	r.cancel()
	<-r.done
	r.mu.Lock()
	lease := r.lease
	r.lease, r.live = 0, false
	r.mu.Unlock()
	if lease == 0 {
		return nil
	}
	if _, err := r.cli.Revoke(ctx, lease); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("registry: revoke lease %x: %w", int64(lease), err)
	}
	return nil
}

// run registers, keeps the lease alive (and the keys written: hold) until it
// is lost, and registers again, until ctx ends. Consecutive failures back off; a lease that lived a full TTL
// resets the backoff, so a flapping etcd cannot make it spin.
func (r *Registrar) run(ctx context.Context) {
	defer close(r.done)
	failures := 0
	for {
		if failures > 0 && !sleep(ctx, r.o.backoff.Delay(failures)) {
			return
		}
		ka, lease, rev, err := r.register(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			if logged(failures) {
				r.o.logf("registry: registering %s (try %d%s): %v", r.id, failures, nextLogged(failures), err)
			}
			continue
		}
		began := time.Now()
		r.set(true)
		r.o.info("registry: registered %s under lease %x", r.id, int64(lease))
		hctx, stop := context.WithCancel(ctx)
		var held sync.WaitGroup
		for _, k := range r.keys {
			held.Go(func() { r.hold(hctx, k, lease, rev) })
		}
		for range ka { // drained, or etcd's client warns and drops responses
		}
		stop()
		held.Wait()
		r.set(false)
		if ctx.Err() != nil {
			return
		}
		r.o.logf("registry: lease %x of %s lost; registering again", int64(lease), r.id)
		if time.Since(began) >= r.o.ttl {
			failures = 1
		} else {
			failures++
		}
	}
}

// register grants a lease, writes every key under it in one transaction and
// starts keeping it alive. The keep-alive channel closes when the lease is
// lost or ctx ends; rev is the revision the keys were written at.
func (r *Registrar) register(ctx context.Context) (ka <-chan *clientv3.LeaseKeepAliveResponse, lease clientv3.LeaseID, rev int64, err error) {
	octx, cancel := context.WithTimeout(ctx, r.o.opTimeout)
	defer cancel()
	g, err := r.cli.Grant(octx, int64(r.o.ttl/time.Second))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("grant: %w", err)
	}
	r.mu.Lock()
	r.lease = g.ID // so that Deregister revokes even a registration cut short
	r.mu.Unlock()
	puts := make([]clientv3.Op, len(r.keys))
	for i, k := range r.keys {
		puts[i] = clientv3.OpPut(k, r.value, clientv3.WithLease(g.ID))
	}
	txn, err := r.cli.Txn(octx).Then(puts...).Commit()
	if err != nil {
		r.revoke(ctx, g.ID)
		return nil, 0, 0, fmt.Errorf("put: %w", err)
	}
	ka, err = r.cli.KeepAlive(ctx, g.ID)
	if err != nil {
		r.revoke(ctx, g.ID)
		return nil, 0, 0, fmt.Errorf("keep alive: %w", err)
	}
	return ka, g.ID, txn.Header.GetRevision(), nil
}

// revoke drops a lease a failed registration leaves behind, best effort: it
// expires anyway. It ends with ctx: that is Deregister, which revokes the
// lease itself within its own context, and must not wait on this.
func (r *Registrar) revoke(ctx context.Context, id clientv3.LeaseID) {
	ctx, cancel := context.WithTimeout(ctx, r.o.opTimeout)
	defer cancel()
	_, _ = r.cli.Revoke(ctx, id)
}

func (r *Registrar) set(live bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live = live
	if live {
		r.count++
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// sleep waits d and reports true, or reports false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
