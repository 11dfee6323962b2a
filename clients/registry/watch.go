package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// keys keeps the keys under one prefix in memory: it lists them, then
// watches from the listed revision on. Whatever breaks the watch
// (compaction, a lost leader, a canceled watch, etcd's revision going
// back), it lists and watches again, with backoff, and meanwhile keeps what
// it had: unlike etcd's own naming/resolver, it never stops for good. The
// resolver and Peers are both built on it.
//
// etcd's client resumes a watch across a reconnect on its own, from the
// revision after the last it delivered. Over an etcd restarted on its data
// that is right; over one whose data was lost or restored from an older
// snapshot, the revision starts again below the watched one, and the watch
// would wait, silently, for a revision the new store reaches only after as
// many writes: new instances unseen, gone ones kept. So the watch also asks
// etcd every so often (Options.check) for its revision and how many keys it
// holds under the prefix, and lists again when the revision went back, or
// when the count differs from the watch's at two checks in a row (a store
// that passed the old revision before a check, and whose keys differ).
type keys struct {
	cli    *clientv3.Client
	o      options
	prefix string
	name   string // what the keys are, for the log
	// service is whose instances the keys are, for the metrics.
	service string
	// changed is called on keys' goroutine after each list and each batch
	// of watched events, with the current keys and values. It must not
	// keep kvs.
	changed func(kvs map[string][]byte)
	// failed is called when a list fails; tries counts the failures in a
	// row.
	failed func(err error, tries int)
	// refresh, when not nil, asks for changed to be called again with the
	// same keys (the filter of a resolver changed).
	refresh <-chan struct{}

	kvs map[string][]byte // owned by run
	rev int64             // the latest revision seen: listed, of an event, or of a check; owned by run
	// miscount: the last check found etcd holding another number of keys
	// under the prefix than kvs. Once may be an event on its way; twice
	// in a row, the watch missed something. Owned by run.
	miscount bool
	// lost: the last revision check got no answer. etcd's client retries
	// a watch in silence, so the checks are what tells the log that a
	// replica lost etcd, and found it again. Owned by run.
	lost bool
}

func (k *keys) run(ctx context.Context) {
	failures := 0
	for {
		if failures > 0 && !sleep(ctx, k.o.backoff.Delay(failures)) {
			return
		}
		rev, err := k.list(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			k.o.metrics.setReachable(k.service, false)
			failures++
			k.failed(err, failures)
			continue
		}
		began := time.Now()
		err = k.watch(ctx, rev+1)
		if ctx.Err() != nil {
			return
		}
		k.o.logf("registry: watch of %s broke: %v; listing again", k.name, err)
		// A watch that held for a while was healthy: start the backoff over.
		if time.Since(began) >= k.o.backoff.Max {
			failures = 1
		} else {
			failures++
		}
	}
}

// list reads every key under the prefix and returns the revision they were
// read at.
func (k *keys) list(ctx context.Context) (int64, error) {
	octx, cancel := context.WithTimeout(ctx, k.o.opTimeout)
	defer cancel()
	resp, err := k.cli.Get(octx, k.prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	k.kvs = make(map[string][]byte, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		k.kvs[string(kv.Key)] = kv.Value
	}
	k.rev = resp.Header.GetRevision()
	k.miscount = false
	k.o.metrics.setReachable(k.service, true)
	k.changed(k.kvs)
	return k.rev, nil
}

// watch applies every change from revision rev on, until the watch ends. It
// requires a leader, so that a member cut off from its cluster ends the
// watch instead of serving a list that no longer changes.
func (k *keys) watch(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel() // ends etcd's watch goroutines for this watch
	wch := k.cli.Watch(wctx, k.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev))
	check := time.NewTicker(k.o.check)
	defer check.Stop()
	for {
		select {
		case <-k.refresh:
			k.changed(k.kvs)
			continue
		case <-check.C:
			if err := k.checkRevision(ctx); err != nil {
				return err
			}
			continue
		case resp, ok := <-wch:
			if !ok {
				return errors.New("watch channel closed")
			}
			if err := resp.Err(); err != nil {
				return err
			}
			k.rev = max(k.rev, resp.Header.GetRevision())
			for _, ev := range resp.Events {
				switch ev.Type {
				case clientv3.EventTypePut:
					k.kvs[string(ev.Kv.Key)] = ev.Kv.Value
				case clientv3.EventTypeDelete:
					delete(k.kvs, string(ev.Kv.Key))
				}
			}
			if len(resp.Events) > 0 {
				k.changed(k.kvs)
			}
		}
	}
}

// checkRevision asks etcd for its current revision, and fails when it is
// below the latest one seen: etcd's data was lost or restored, and the
// watch waits for revisions that mean something else now. The store's
// revision counts as seen: a quiet prefix's last event may be far behind
// it, and a new store passes that soon. It also fails when etcd holds
// another number of keys under the prefix than the watch does, at two
// checks in a row. An etcd that does not answer is the watch's business
// (etcd's client resumes it), not this check's; it is logged, once, and
// so is its return.
func (k *keys) checkRevision(ctx context.Context) error {
	octx, cancel := context.WithTimeout(ctx, k.o.opTimeout)
	defer cancel()
	resp, err := k.cli.Get(octx, k.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		// Every time, not only as it is first lost: a list between two
		// failed checks set it to 1.
		k.o.metrics.setReachable(k.service, false)
		if !k.lost {
			k.lost = true
			k.o.logf("registry: etcd does not answer (%v); %s keeps its last list", err, k.name)
		}
		return nil
	}
	k.o.metrics.setReachable(k.service, true)
	if k.lost {
		k.lost = false
		k.o.info("registry: etcd answers again; watching %s", k.name)
	}
	now := resp.Header.GetRevision()
	if now < k.rev {
		return fmt.Errorf("etcd's revision went back from %d to %d (its data lost or restored)", k.rev, now)
	}
	k.rev = now
	if resp.Count == int64(len(k.kvs)) {
		k.miscount = false
		return nil
	}
	if k.miscount {
		return fmt.Errorf("etcd holds %d keys under %s, the watch %d (its data lost or restored)", resp.Count, k.prefix, len(k.kvs))
	}
	k.miscount = true
	return nil
}
