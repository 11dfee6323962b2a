package registry

import (
	"context"
	"slices"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Peers is the live membership of one registered service: the ids of its
// instances, kept by list-and-watch like a resolver's list (and as sturdy:
// a broken watch keeps the last membership). BFF replicas register as a
// service of their own and watch it, because each computes its subset of
// the downstream instances from the ids of all of them.
type Peers struct {
	prefix string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	ids  []string
	subs map[chan struct{}]struct{}
}

// WatchPeers starts watching the instances of service; Close stops it.
func WatchPeers(cli *clientv3.Client, service string, opts ...Option) (*Peers, error) {
	o := newOptions(opts)
	if err := o.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Peers{prefix: servicePrefix(o.prefix, service), cancel: cancel, subs: map[chan struct{}]struct{}{}}
	w := &keys{cli: cli, o: o, prefix: p.prefix, name: "the peers of " + service, changed: p.changed, failed: func(err error, tries int) {
		o.logf("registry: listing the peers under %s (try %d): %v; the last membership holds", p.prefix, tries, err)
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
	for k := range kvs {
		ids = append(ids, strings.TrimPrefix(k, p.prefix))
	}
	slices.Sort(ids)
	p.mu.Lock()
	defer p.mu.Unlock()
	if slices.Equal(ids, p.ids) {
		return
	}
	p.ids = ids
	for ch := range p.subs {
		select {
		case ch <- struct{}{}:
		default: // a change is already pending there
		}
	}
}
