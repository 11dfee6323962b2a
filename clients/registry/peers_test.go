package registry

import (
	"slices"
	"testing"
	"time"

	"mosaic/clients/instance"
	"mosaic/mocks/etcdtest"
)

// Peers follows registrations and removals, tells subscribers, and keeps
// its membership while etcd is down.
func TestPeersFollowMembership(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	var l logs
	p, err := WatchPeers(cli, "bff", WithBackoff(Backoff{Base: 50 * time.Millisecond, Max: 200 * time.Millisecond}),
		WithRevisionCheck(200*time.Millisecond), WithLogf(l.logf))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	changed, cancel := p.Subscribe()
	defer cancel()
	waitIDs := func(want ...string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !slices.Equal(p.IDs(), want); {
			select {
			case <-changed:
			case <-time.After(time.Until(deadline)):
				t.Fatalf("peers %v, want %v", p.IDs(), want)
			}
		}
	}
	put(t, cli, "bff", "bff-1", instance.Instance{Addr: "127.0.0.1:8081", Cluster: "c1"})
	put(t, cli, "bff", "bff-0", instance.Instance{Addr: "127.0.0.1:8080", Cluster: "c2"})
	put(t, cli, "bffx", "other", instance.Instance{Addr: "127.0.0.1:8082", Cluster: "c1"})
	waitIDs("bff-0", "bff-1")
	if c1, none := inCluster(p, "c1"), inCluster(p, ""); !slices.Equal(c1, []string{"bff-1"}) || len(none) != 0 {
		t.Errorf("in c1 %v, in no cluster %v; want bff-1 and none", c1, none)
	}
	// A replica that moves cluster is a change of membership too.
	put(t, cli, "bff", "bff-0", instance.Instance{Addr: "127.0.0.1:8080", Cluster: "c1"})
	for deadline := time.Now().Add(10 * time.Second); !slices.Equal(inCluster(p, "c1"), []string{"bff-0", "bff-1"}); {
		select {
		case <-changed:
		case <-time.After(time.Until(deadline)):
			t.Fatalf("in c1 %v after bff-0 moved there", inCluster(p, "c1"))
		}
	}
	del(t, cli, "bff", "bff-1")
	waitIDs("bff-0")

	etcd.Stop()
	time.Sleep(time.Second)
	if got := p.IDs(); !slices.Equal(got, []string{"bff-0"}) {
		t.Errorf("with etcd down: %v, want the last membership", got)
	}
	etcd.Restart()
	put(t, cli, "bff", "bff-2", instance.Instance{Addr: "127.0.0.1:8083"})
	waitIDs("bff-0", "bff-2")

	// etcd loses its data: the relisted store holds no member yet, which
	// says nothing of the fleet (the replicas register again in a moment).
	etcd.Wipe()
	for deadline := time.Now().Add(20 * time.Second); len(l.matching("list none; keeping the last 2")) == 0 && len(p.IDs()) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("no empty relist after etcd lost its data; log %q", l.matching("."))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := p.IDs(); !slices.Equal(got, []string{"bff-0", "bff-2"}) {
		t.Errorf("after an empty relist: %v, want the last membership", got)
	}
	put(t, cli, "bff", "bff-3", instance.Instance{Addr: "127.0.0.1:8084"})
	waitIDs("bff-3")
}

// A resolver refilters its instances when its subscription fires, with no
// change in etcd.
func TestResolverRefiltersOnSignal(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	keep := make(chan string, 1)
	keep <- "127.0.0.1:9001"
	current := "127.0.0.1:9001"
	signal := make(chan struct{}, 1)
	filter := func(_ string, all []instance.Instance) []instance.Instance {
		select {
		case current = <-keep:
		default:
		}
		var out []instance.Instance
		for _, i := range all {
			if i.Addr == current {
				out = append(out, i)
			}
		}
		return out
	}
	put(t, cli, "stat", "a", instance.Instance{Addr: "127.0.0.1:9001"})
	put(t, cli, "stat", "b", instance.Instance{Addr: "127.0.0.1:9002"})
	cc, _ := build(t, cli, "etcd:///stat", WithFilter(filter), WithRefilter(func() (<-chan struct{}, func()) { return signal, func() {} }))
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:9001"))
	keep <- "127.0.0.1:9002"
	signal <- struct{}{}
	cc.WaitState(t, 10*time.Second, addrs("127.0.0.1:9002"))
}

// inCluster is the peers registered in cluster.
func inCluster(p *Peers, cluster string) []string {
	_, local := p.Membership(cluster)
	return local
}
