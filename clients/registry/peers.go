package registry

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"mosaic/clients/instance"
)

// Peers is the live membership of one registered service: the ids of its
// instances and the cluster each registered in, kept by list-and-watch like
// a resolver's list, and as sturdy: a broken watch keeps the last
// membership, and an empty one never replaces it. BFF replicas register as a
// service of their own and watch it, because each computes its subset of
// the downstream instances from the ids of all of them.
type Peers struct {
	prefix string
	logf   func(format string, args ...any)
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	ids      []string
	clusters map[string]string // id → the cluster it registered in
	subs     map[chan struct{}]struct{}
}

// WatchPeers starts watching the instances of service; Close stops it.
func WatchPeers(cli *clientv3.Client, service string, opts ...Option) (*Peers, error) {
	o := newOptions(opts)
	if err := o.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Peers{prefix: servicePrefix(o.prefix, service), logf: o.logf, cancel: cancel, subs: map[chan struct{}]struct{}{}}
	w := &keys{cli: cli, o: o, prefix: p.prefix, name: "the peers of " + service, service: service, changed: p.changed, failed: func(err error, tries int) {
		if logged(tries) {
			o.logf("registry: listing the peers under %s (try %d%s): %v; the last membership holds", p.prefix, tries, nextLogged(tries), err)
		}
	}}
	p.wg.Go(func() { w.run(ctx) })
	return p, nil
}

// IDs returns the sorted ids of the live instances.
func (p *Peers) IDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ids)
}

// Membership returns the sorted ids of the live instances, and of those
// registered in cluster, read together: read apart, a change between the
// two could list a peer in the cluster that is not among all.
func (p *Peers) Membership(cluster string) (all, in []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range p.ids {
		if p.clusters[id] == cluster {
			in = append(in, id)
		}
	}
	return slices.Clone(p.ids), in
}

// Subscribe returns a channel that receives after each change of
// membership (changes close together may arrive as one), and a function
// that ends the subscription.
func (p *Peers) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	p.mu.Lock()
	p.subs[ch] = struct{}{}
	p.mu.Unlock()
	return ch, func() {
		p.mu.Lock()
		delete(p.subs, ch)
		p.mu.Unlock()
	}
}

// Close stops watching and waits for the watcher.
func (p *Peers) Close() {
	p.cancel()
	p.wg.Wait()
}

func (p *Peers) changed(kvs map[string][]byte) {
	ids := make([]string, 0, len(kvs))
	clusters := make(map[string]string, len(kvs))
	for k, v := range kvs {
		id := strings.TrimPrefix(k, p.prefix)
		ids = append(ids, id)
		var in instance.Instance
		if json.Unmarshal(v, &in) == nil { // a value that is not one: a member in no cluster
			clusters[id] = in.Cluster
		}
	}
	slices.Sort(ids)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(ids) == 0 && len(p.ids) > 0 {
		// The watcher is a member itself: no members is a registry that
		// lost its data, not a fleet gone, and every subset would move.
		p.logf("registry: the peers under %s list none; keeping the last %d", p.prefix, len(p.ids))
		return
	}
	if slices.Equal(ids, p.ids) && maps.Equal(clusters, p.clusters) {
		return
	}
	p.ids, p.clusters = ids, clusters
	for ch := range p.subs {
		select {
		case ch <- struct{}{}:
		default: // a change is already pending there
		}
	}
}
