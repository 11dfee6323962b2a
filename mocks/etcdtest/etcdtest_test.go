package etcdtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

func ctx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return c
}

// A restart keeps the data and the ports: a client made before the stop
// reads what was written before it.
func TestStopRestartKeepsDataAndPorts(t *testing.T) {
	s := Start(t)
	cli := s.Client(t)
	if _, err := cli.Put(ctx(t, 5*time.Second), "k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if s.Running() {
		t.Fatal("running after Stop")
	}
	if _, err := cli.Get(ctx(t, 500*time.Millisecond), "k"); err == nil {
		t.Fatal("a stopped etcd answered")
	}
	s.Restart()
	resp, err := cli.Get(ctx(t, 10*time.Second), "k")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("after restart: %v, %v", resp, err)
	}
	s.Kill()
	s.Restart()
	if _, err := cli.Get(ctx(t, 10*time.Second), "k"); err != nil {
		t.Fatalf("after kill and restart: %v", err)
	}
}

func TestCompactBreaksOlderWatches(t *testing.T) {
	s := Start(t)
	cli := s.Client(t)
	first, err := cli.Put(ctx(t, 5*time.Second), "k", "1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx(t, 5*time.Second), "k", "2"); err != nil {
		t.Fatal(err)
	}
	rev := s.Compact(t)
	if rev <= first.Header.GetRevision() {
		t.Fatalf("compacted at %d, not past %d", rev, first.Header.GetRevision())
	}
	w := cli.Watch(ctx(t, 5*time.Second), "k", clientv3.WithRev(first.Header.GetRevision()))
	resp := <-w
	if !errors.Is(resp.Err(), rpctypes.ErrCompacted) {
		t.Errorf("watch from a compacted revision: %v, want ErrCompacted", resp.Err())
	}
}

// A cut proxy stops a client from reaching etcd while another still does; a
// healed one lets it through again.
func TestProxyCutAndHeal(t *testing.T) {
	s := Start(t)
	p := NewProxy(t, s.Endpoint())
	via := NewClient(t, p.Addr())
	if _, err := via.Put(ctx(t, 5*time.Second), "k", "v"); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if _, err := via.Get(ctx(t, time.Second), "k"); err == nil {
		t.Fatal("a cut proxy let a request through")
	}
	if _, err := s.Client(t).Get(ctx(t, 5*time.Second), "k"); err != nil {
		t.Fatalf("direct client while cut: %v", err)
	}
	p.Heal()
	if _, err := via.Get(ctx(t, 10*time.Second), "k"); err != nil {
		t.Fatalf("after heal: %v", err)
	}
}
