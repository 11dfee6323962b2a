package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// errDeleted ends a watch of a held key: the key is gone and must be written
// again.
var errDeleted = errors.New("key deleted")

// hold keeps key written for as long as lease lives and ctx lasts. A key
// deleted while its lease lives (by hand, or by another process registered
// under the same instance id as it deregistered) would otherwise leave this
// healthy instance out of discovery until its next lease; hold writes it
// again. A key another lease has taken is left to it and logged: two
// processes overwriting one key in turn would flap it in every resolver.
// rev is the revision the key was written at.
func (r *Registrar) hold(ctx context.Context, key string, lease clientv3.LeaseID, rev int64) {
	failures := 0
	for {
		began := time.Now()
		err := r.watchKey(ctx, key, lease, rev+1)
		if ctx.Err() != nil {
			return
		}
		if !errors.Is(err, errDeleted) {
			// A watch that held for a while was healthy: start the backoff over.
			if time.Since(began) >= r.o.backoff.Max {
				failures = 0
			}
			failures++
			r.o.logf("registry: watch of %s broke: %v; reading it again", key, err)
			if !sleep(ctx, r.o.backoff.Delay(failures)) {
				return
			}
		}
		for {
			rev, err = r.restore(ctx, key, lease)
			if err == nil {
				break
			}
			if ctx.Err() != nil || errors.Is(err, rpctypes.ErrLeaseNotFound) {
				return // the lease is gone: run registers again
			}
			failures++
			if logged(failures) {
				r.o.logf("registry: restoring %s (try %d%s): %v", key, failures, nextLogged(failures), err)
			}
			if !sleep(ctx, r.o.backoff.Delay(failures)) {
				return
			}
		}
	}
}

// watchKey watches key from revision rev until it is deleted (errDeleted) or
// the watch ends. It requires a leader, as keys.watch does.
func (r *Registrar) watchKey(ctx context.Context, key string, lease clientv3.LeaseID, rev int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel() // ends etcd's watch goroutines for this watch
	for resp := range r.cli.Watch(wctx, key, clientv3.WithRev(rev)) {
		if err := resp.Err(); err != nil {
			return err
		}
		for _, ev := range resp.Events {
			if ev.Type == clientv3.EventTypeDelete {
				return errDeleted
			}
			r.taken(key, lease, clientv3.LeaseID(ev.Kv.Lease))
		}
	}
	return errors.New("watch channel closed")
}

// restore writes key under lease if it is absent, and returns the revision
// it read or wrote at.
func (r *Registrar) restore(ctx context.Context, key string, lease clientv3.LeaseID) (int64, error) {
	octx, cancel := context.WithTimeout(ctx, r.o.opTimeout)
	defer cancel()
	resp, err := r.cli.Txn(octx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, r.value, clientv3.WithLease(lease))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("put: %w", err)
	}
	if resp.Succeeded {
		r.o.logf("registry: %s was deleted while lease %x lives; written again", key, int64(lease))
	} else if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
		r.taken(key, lease, clientv3.LeaseID(kvs[0].Lease))
	}
	return resp.Header.GetRevision(), nil
}

// taken logs a key written under a lease that is not ours.
func (r *Registrar) taken(key string, ours, held clientv3.LeaseID) {
	if held != ours {
		r.o.logf("registry: %s is held by lease %x, not ours (%x): does another process use instance id %q?",
			key, int64(held), int64(ours), r.id)
	}
}
