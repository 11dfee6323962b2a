package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"mosaic/clients/contract"
	"mosaic/clients/instance"
	"mosaic/clients/registry"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/binaries"
	"mosaic/mocks/child"
	"mosaic/mocks/etcdtest"
	"mosaic/mocks/logbuf"
)

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// registered returns the instance under key and its lease, or ok false.
func registered(t *testing.T, cli *clientv3.Client, key string) (inst instance.Instance, lease clientv3.LeaseID, ok bool) {
	t.Helper()
	resp, err := cli.Get(timeout(t, 10*time.Second), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return inst, 0, false
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &inst); err != nil {
		t.Fatalf("%s = %q: %v", key, resp.Kvs[0].Value, err)
	}
	return inst, clientv3.LeaseID(resp.Kvs[0].Lease), true
}

// waitRegistered polls until key is present (want true) or absent, and
// returns how long that took.
func waitRegistered(t *testing.T, cli *clientv3.Client, key string, want bool, limit time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	for {
		if _, _, ok := registered(t, cli, key); ok == want {
			return time.Since(begin)
		}
		if time.Since(begin) > limit {
			t.Fatalf("%s present=%v: not within %v", key, want, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Each served service is one key with the instance's lane, place and
// address; on shutdown the keys are gone before health turns NOT_SERVING.
func TestRegistersEachServiceAndDeregistersFirst(t *testing.T) {
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	line, stop := startRunLine(t, nil, "-addr", "127.0.0.1:0", "-services", "stat,feed", "-registry", etcd.Endpoint(),
		"-color", "canary", "-cluster", "c1", "-zone", "z9", "-instance-id", "m1", "-weight", "2")
	addr := announced(t, line, "on")
	want := instance.Instance{Addr: addr, Color: "canary", Cluster: "c1", Zone: "z9", Weight: 2}
	for _, svc := range []string{"stat", "feed"} {
		key := registry.Key(registry.Prefix, svc, "m1")
		waitRegistered(t, cli, key, true, 10*time.Second)
		got, lease, _ := registered(t, cli, key)
		if got != want {
			t.Errorf("%s = %+v, want %+v", key, got, want)
		}
		ttl, err := cli.TimeToLive(timeout(t, 5*time.Second), lease)
		if err != nil || ttl.GrantedTTL != 5 {
			t.Errorf("%s lease: %v, %v; want a 5 s TTL", key, ttl, err)
		}
	}
	if _, _, ok := registered(t, cli, registry.Key(registry.Prefix, "account", "m1")); ok {
		t.Error("account, not served, is registered")
	}

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	watch, err := healthpb.NewHealthClient(conn).Watch(t.Context(), &healthpb.HealthCheckRequest{Service: "stat.v1.StatService"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := watch.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("watch: %v, %v", r, err)
	}
	// With etcd paused, deregistering waits, and so must NOT_SERVING: a
	// read after it would race the revoke, and a wrong order pass most runs.
	etcd.Pause()
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	notice := make(chan *healthpb.HealthCheckResponse, 1)
	go func() {
		r, err := watch.Recv()
		if err != nil {
			t.Errorf("watch on shutdown: %v", err)
		}
		notice <- r
	}()
	select {
	case r := <-notice:
		t.Fatalf("health turned %v while deregistering waited on etcd", r.GetStatus())
	case <-time.After(time.Second): // deregistering waits up to deregisterTimeout, 3 s
	}
	etcd.Resume()
	if r := <-notice; r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("watch on shutdown: %v", r)
	}
	// A linearizable read after NOT_SERVING was sent: deregistering came first.
	resp, err := cli.Get(timeout(t, 10*time.Second), registry.Prefix, clientv3.WithPrefix())
	if err != nil || len(resp.Kvs) != 0 {
		t.Errorf("keys when health turned NOT_SERVING: %v, %v; want none", resp.Kvs, err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("run: %v", err)
	}
}

// With etcd unreachable, mocksvc still serves, and stops promptly.
func TestServesWithoutEtcd(t *testing.T) {
	addr, stop := startRun(t, nil, "-addr", "127.0.0.1:0", "-services", "stat", "-registry", "127.0.0.1:1")
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := statv1.NewStatServiceClient(conn).BatchGetStats(t.Context(), &statv1.BatchGetStatsRequest{Aids: []int64{1}}); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
	if d := time.Since(begin); d > deregisterTimeout+3*time.Second {
		t.Errorf("shutdown with etcd unreachable took %v", d)
	}
}

// proc is a mocksvc process.
type proc struct {
	cmd         *exec.Cmd
	addr, admin string
	exited      chan struct{} // closed when the process has exited
	err         error         // its Wait error, once exited is closed
	stderr      *logbuf.Buffer
}

func startProcess(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{exited: make(chan struct{}), stderr: &logbuf.Buffer{}}
	p.cmd = exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0"}, args...)...)
	child.DieWithParent(p.cmd)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var line string
	if sc.Scan() {
		line = sc.Text()
	}
	go func() {
		for sc.Scan() { // nothing more is expected; read until exit
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	if !strings.HasPrefix(line, "mocksvc serving ") {
		t.Fatalf("announcement %q; stderr %s", line, p.stderr.String())
	}
	p.addr, p.admin = announced(t, line, "on"), "http://"+announced(t, line, "admin")
	return p
}

func buildBinary(t *testing.T) string { return binaries.Build(t, "mosaic/cmd/mocksvc") }

func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the binary")
	}
	etcd := etcdtest.Start(t)
	cli := etcd.Client(t)
	bin := buildBinary(t)

	// SIGTERM with a call in flight: the key is gone while the process still
	// finishes that call, then it exits 0.
	t.Run("SIGTERM", func(t *testing.T) {
		p := startProcess(t, bin, "-services", "stat", "-registry", etcd.Endpoint(), "-color", "canary", "-cluster", "c2", "-instance-id", "p1")
		key := registry.Key(registry.Prefix, "stat", "p1")
		waitRegistered(t, cli, key, true, 10*time.Second)
		conn, err := grpc.NewClient(p.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		stat := statv1.NewStatServiceClient(conn)
		if _, err := stat.BatchGetStats(t.Context(), &statv1.BatchGetStatsRequest{Aids: []int64{1}}); err != nil {
			t.Fatal(err)
		}
		_, _, metrics := httpDo(t, "GET", p.admin+"/metrics")
		if want := `mock_rpc_calls_total{cluster="c2",color="canary",method="BatchGetStats",service="stat"} 1`; !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
		waitMetric(t, p.admin, "\nmock_registry_registered 1\n")
		waitMetric(t, p.admin, "\nmock_registry_registrations_total 1\n")

		slow := make(chan error, 1)
		go func() {
			ctx := metadata.AppendToOutgoingContext(t.Context(), contract.ScenarioKey, "stat=delay:2s")
			_, err := stat.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: []int64{1}})
			slow <- err
		}()
		waitMetric(t, p.admin, `method="BatchGetStats",service="stat"} 2`)
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		gone := waitRegistered(t, cli, key, false, 5*time.Second)
		select {
		case <-p.exited:
			t.Errorf("the process exited before its key was seen gone")
		default:
		}
		if err := <-slow; err != nil {
			t.Errorf("the call in flight at SIGTERM: %v", err)
		}
		<-p.exited
		if p.err != nil {
			t.Errorf("exit: %v; stderr %s", p.err, p.stderr.String())
		}
		t.Logf("key gone %v after SIGTERM, while a 2 s call was in flight", gone.Round(time.Millisecond))
	})

	// kill -9 cannot deregister: the key goes when the lease expires.
	t.Run("kill -9", func(t *testing.T) {
		p := startProcess(t, bin, "-services", "stat", "-registry", etcd.Endpoint(), "-registry-ttl", "2s", "-instance-id", "p2")
		key := registry.Key(registry.Prefix, "stat", "p2")
		waitRegistered(t, cli, key, true, 10*time.Second)
		_, lease, _ := registered(t, cli, key)
		ttl, err := cli.TimeToLive(timeout(t, 5*time.Second), lease)
		if err != nil {
			t.Fatal(err)
		}
		granted := time.Duration(ttl.GrantedTTL) * time.Second
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		gone := waitRegistered(t, cli, key, false, 3*granted)
		// etcd revokes an expired lease up to 500 ms late (it checks every
		// 500 ms), and a starved etcd or poll adds more: 2 s of slack still
		// tells the lease's TTL from a key that outlives it (measured
		// 2.5 s for a 2 s TTL, with 3 s allowed, on a loaded machine).
		if gone > granted+2*time.Second {
			t.Errorf("key gone %v after kill -9, TTL %v", gone, granted)
		}
		t.Logf("key gone %v after kill -9 (TTL %v)", gone.Round(time.Millisecond), granted)
	})
}

// waitMetric polls /metrics until it contains want.
func waitMetric(t *testing.T, admin, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, body := httpDo(t, "GET", admin+"/metrics")
		if code == http.StatusOK && strings.Contains(body, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never had %s:\n%s", want, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
