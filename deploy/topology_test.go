package deploy

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// topologyPorts are the offsets from the base port that topology.sh uses.
func topologyPorts() []int {
	return []int{0, 1, 2, 11, 12, 21, 22, 23, 24, 31, 32, 33, 34, 41, 42}
}

// freeBase finds a base port whose every topology port is free right now.
func freeBase(t *testing.T) int {
	t.Helper()
	for range 20 {
		base := 20000 + rand.IntN(40000)
		free := true
		for _, off := range topologyPorts() {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no free range of ports for the topology")
	return 0
}

// mockCalls sums mock_rpc_calls_total on one mocksvc admin listener.
func mockCalls(t *testing.T, admin string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "mock_rpc_calls_total{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("%s: %q", admin, line)
		}
		sum += v
	}
	return sum
}

// testLocalTopology runs deploy/local/topology.sh as the README shows it, on
// a free range of ports: scene requests through the nginx gateway all
// succeed and are served by the mocksvc fleet the bff found in etcd (counted
// at the mocks' /metrics), and an interrupt stops every process (its ports
// close).
func testLocalTopology(t *testing.T, bins map[string]*binary) {
	if testing.Short() {
		t.Skip("starts the whole fleet: not in -short")
	}
	for _, tool := range [][2]string{{"etcd", "etcd-server"}, {"nginx", "nginx-light"}, {"curl", "curl"}} {
		needTool(t, tool[0], tool[1], "/usr/sbin/"+tool[0], "/usr/bin/"+tool[0])
	}
	base := freeBase(t)
	cmd := exec.Command("bash", "local/topology.sh", "-p", strconv.Itoa(base), "-b", filepath.Dir(bins["bff"].path))
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stopProcess(cmd, os.Interrupt)
		}
		t.Logf("topology.sh said:\n%s", out.String())
	})
	up := false
	for range 900 { // at most 90 s: the script waits up to 30 s per component
		if up = strings.Contains(out.String(), "topology: up"); up || cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !up {
		t.Fatal("the topology did not come up")
	}
	admins := make([]string, 4)
	before := make([]float64, 4)
	for i := range admins {
		admins[i] = fmt.Sprintf("127.0.0.1:%d", base+31+i)
		before[i] = mockCalls(t, admins[i])
	}
	gw := fmt.Sprintf("127.0.0.1:%d", base)
	for i := range 20 {
		path, hdr := "/web/v1/feed", map[string]string{"X-Demo-User": "42"}
		if i%4 == 3 {
			path, hdr = "/app/v1/videos/8", map[string]string{"X-Color": "canary"}
		}
		if resp, body := gatewayGet(t, gw, path, hdr); resp.StatusCode != 200 {
			t.Errorf("%s through the gateway: %d %.200s", path, resp.StatusCode, body)
		}
	}
	total := 0.0
	for i, a := range admins {
		after := mockCalls(t, a)
		t.Logf("mocksvc %d (%s): %v calls", i+1, a, after-before[i])
		total += after - before[i]
	}
	if total < 20 {
		t.Errorf("20 scene requests made %v calls at the mocksvc fleet: the bff did not use the instances in etcd", total)
	}

	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		stopped = true
	case <-time.After(90 * time.Second):
		t.Fatal("topology.sh did not stop within 90 s of an interrupt")
	}
	if !strings.Contains(out.String(), "topology: stopped") {
		t.Error("topology.sh did not say it stopped")
	}
	for _, off := range topologyPorts() {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", base+off), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still open after the interrupt", base+off)
		}
	}
}
