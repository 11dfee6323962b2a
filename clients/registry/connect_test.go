package registry

import (
	"testing"
	"time"

	"mosaic/clients/instance"
	"mosaic/mocks/etcdtest"
)

// An instance is back in the registry soon after etcd is, however long
// etcd was gone: Connect's client tries to reconnect at least every
// DefaultBackoff().Max. With gRPC's default reconnect backoff (growing to
// 120 s) it tried at 1, 2.6, 5.2, 9.4, 16 and 27 s into an outage, and
// after one of a minute an instance stayed out of the registry for as long
// as 18 s after etcd was back.
func TestConnectRetriesEtcdAtLeastEveryBackoffMax(t *testing.T) {
	if testing.Short() {
		t.Skip("a 20 s outage")
	}
	t.Parallel()
	etcd := etcdtest.Start(t)
	proxy := etcdtest.NewProxy(t, etcd.Endpoint())
	cli, err := Connect([]string{proxy.Addr()}, Security{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	var l logs
	r := newRegistrar(t, cli, "a", []string{"stat"}, instance.Instance{Addr: "127.0.0.1:1"}, WithTTL(time.Second), WithLogf(l.logf))
	if err := r.Wait(timeout(t, 10*time.Second), 1); err != nil {
		t.Fatal(err)
	}
	const outage = 20 * time.Second
	cut := time.Now()
	proxy.Cut()
	time.Sleep(outage)
	proxy.Heal()
	healed := time.Now()
	if err := r.Wait(timeout(t, 60*time.Second), 2); err != nil {
		t.Fatalf("not registered again: %v; log %q", err, l.matching("."))
	}
	back := time.Since(healed)
	// The longest stretch without a try in the outage's second half, when
	// gRPC's default had grown past 6 s; the cap allows 2.4 s (2 s and its
	// jitter), and the scheduler some slack.
	tries := len(proxy.Refused())
	longest := proxy.LongestWithoutTry(cut.Add(outage/2), healed)
	if longest > 4*time.Second {
		t.Errorf("%d tries to reconnect in a %v outage, the longest gap in its second half %v: want tries at most every %v", tries, outage, longest, DefaultBackoff().Max)
	}
	t.Logf("%d tries to reconnect in a %v outage, the longest gap in its second half %v; registered again %v after etcd was back", tries, outage, longest, back)
}
