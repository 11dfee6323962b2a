package deploy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
		// Below Linux's ephemeral range (32768 up): a port there can be
		// taken between this check and the script's listen by any
		// outgoing connection on the machine.
		base := 20000 + rand.IntN(32768-20000-100)
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

// topology is deploy/local/topology.sh running on a free range of ports.
type topology struct {
	base int
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error // Wait's result, once the script exits
}

// startTopology runs topology.sh with args (after -p and -b) and waits for it
// to say it is up; the test's cleanup interrupts it if the test has not.
func startTopology(t *testing.T, bins map[string]*binary, args ...string) *topology {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the whole fleet: not in -short")
	}
	for _, tool := range [][2]string{{"etcd", "etcd-server"}, {"nginx", "nginx-light"}, {"curl", "curl"}} {
		needTool(t, tool[0], tool[1], "/usr/sbin/"+tool[0], "/usr/bin/"+tool[0])
	}
	top := &topology{base: freeBase(t), out: &syncBuffer{}, done: make(chan error, 1)}
	args = append([]string{"local/topology.sh", "-p", strconv.Itoa(top.base), "-b", filepath.Dir(bins["bff"].path)}, args...)
	top.cmd = exec.Command("bash", args...)
	dieWithParent(top.cmd, syscall.SIGTERM) // its trap stops what it started
	top.cmd.Stdout, top.cmd.Stderr = top.out, top.out
	if err := top.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { top.done <- top.cmd.Wait() }()
	t.Cleanup(func() {
		if top.cmd.ProcessState == nil {
			top.cmd.Process.Signal(os.Interrupt)
			select {
			case <-top.done:
			case <-time.After(90 * time.Second):
				top.cmd.Process.Kill()
			}
		}
		t.Logf("topology.sh said:\n%s", top.out.String())
	})
	for range 900 { // at most 90 s: the script waits up to 30 s per component
		if strings.Contains(top.out.String(), "topology: up") {
			return top
		}
		select {
		case <-top.done:
			t.Fatal("topology.sh exited before the topology came up")
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("the topology did not come up")
	return nil
}

// gateway is the address of the topology's nginx.
func (top *topology) gateway() string { return fmt.Sprintf("127.0.0.1:%d", top.base) }

// mockAdmins are the admin addresses of the four mocksvc, in start order
// (c1-a, c1-b, c2, canary).
func (top *topology) mockAdmins() []string {
	admins := make([]string, 4)
	for i := range admins {
		admins[i] = fmt.Sprintf("127.0.0.1:%d", top.base+31+i)
	}
	return admins
}

// interrupt stops the topology as Ctrl-C does, and checks that it said so and
// that every port it used is closed.
func (top *topology) interrupt(t *testing.T) {
	t.Helper()
	// Again every 5 s, as a person would press Ctrl-C again: bash can lose
	// a trapped signal sent to its pid alone while it waits on a child.
	top.cmd.Process.Signal(os.Interrupt)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for stopped, deadline := false, time.After(90*time.Second); !stopped; {
		select {
		case <-top.done:
			stopped = true
		case <-tick.C:
			top.cmd.Process.Signal(os.Interrupt)
		case <-deadline:
			t.Fatal("topology.sh did not stop within 90 s of an interrupt")
		}
	}
	if !strings.Contains(top.out.String(), "topology: stopped") {
		t.Error("topology.sh did not say it stopped")
	}
	for _, off := range topologyPorts() {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", top.base+off), time.Second); err == nil {
			c.Close()
			t.Errorf("port %d still open after the interrupt", top.base+off)
		}
	}
}

// testLocalTopology runs deploy/local/topology.sh as the README shows it, on
// a free range of ports: scene requests through the nginx gateway all
// succeed and are served by the mocksvc fleet the bff found in etcd (counted
// at the mocks' /metrics), and an interrupt stops every process (its ports
// close).
func testLocalTopology(t *testing.T, bins map[string]*binary) {
	top := startTopology(t, bins)
	admins := top.mockAdmins()
	before := make([]float64, len(admins))
	for i, a := range admins {
		before[i] = mockCalls(t, a)
	}
	for i := range 20 {
		path, hdr := "/web/v1/feed", map[string]string{"X-Demo-User": "42"}
		if i%4 == 3 {
			path, hdr = "/app/v1/videos/8", map[string]string{"X-Color": "canary"}
		}
		if resp, body := gatewayGet(t, top.gateway(), path, hdr); resp.StatusCode != 200 {
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
	top.interrupt(t)
}

// testLocalTopologyKeep drills faults with -k as an operator would: while
// clients keep asking through the gateway, a mocksvc instance and a bff
// replica are killed mid-request (SIGKILL) and started again with the
// script's restart. Every answer stays a whole screen, a 200 with no
// degraded section: grpc retries the calls the dead instance dropped on its
// sibling, and nginx tries a request the dead replica dropped on the other.
// An answer the replica was still sending when it died is cut short once
// nginx has passed its headers on, and no gateway can try it again: the
// client does, once, as after any broken connection, and gets a whole
// screen (at most one such answer per client). The script reports each death and return, the restarted instance serves
// calls again (counted at its /metrics), and an interrupt stops the
// restarted processes too (their ports close).
func testLocalTopologyKeep(t *testing.T, bins map[string]*binary) {
	top := startTopology(t, bins, "-k")
	m := regexp.MustCompile(`Pids in (\S+)/NAME\.pid`).FindStringSubmatch(top.out.String())
	if m == nil {
		t.Fatal("topology.sh -k did not say where its pids are")
	}
	run := m[1]

	var (
		ctx, stop = context.WithCancel(context.Background())
		wg        sync.WaitGroup
		mu        sync.Mutex
		screens   int
		failures  []string
		cuts      []string // answers cut short, each tried again
	)
	// Eight clients at 25 screens a second, each from its own loopback
	// address: under the gateway's rate for one address (50 a second),
	// which the drill is not about, and enough that a killed process has
	// requests and calls in flight.
	// screen asks for one feed and says what was wrong with the answer, if
	// anything, and whether its body was cut short.
	screen := func(client *http.Client, url, user, id string) (failure string, cut bool) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-Demo-User", user)
		req.Header.Set("X-Request-Id", id)
		resp, err := client.Do(req)
		if err != nil {
			return id + ": " + err.Error(), false
		}
		var page struct {
			Degraded []json.RawMessage `json:"degraded"`
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			return fmt.Sprintf("%s: %d, the body cut after %d bytes: %v", id, resp.StatusCode, len(body), err), true
		case resp.StatusCode != http.StatusOK:
			return fmt.Sprintf("%s: %d %.200s", id, resp.StatusCode, body), false
		case json.Unmarshal(body, &page) != nil:
			return fmt.Sprintf("%s: not JSON: %.300s", id, body), false
		case len(page.Degraded) > 0:
			return fmt.Sprintf("%s: not a whole screen, degraded %s", id, page.Degraded), false
		}
		return "", false
	}
	for w := range 8 {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+w))}}
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext}}
		wg.Go(func() {
			defer client.CloseIdleConnections()
			tick := time.NewTicker(40 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ctx.Err() == nil; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				url := fmt.Sprintf("http://%s/web/v1/feed?ps=%d", top.gateway(), 5+i%15)
				user := strconv.Itoa(1 + 100*w + i%100)
				id := fmt.Sprintf("keep-%d-%d", w, i) // to find it in the replicas' logs
				failure, cut := screen(client, url, user, id)
				if cut {
					// The replica sending it was killed after nginx had
					// passed its headers on: no gateway can retry that, and
					// a client retries as after any broken connection.
					mu.Lock()
					cuts = append(cuts, failure)
					mu.Unlock()
					failure, _ = screen(client, url, user, id+"-again")
				}
				mu.Lock()
				if failure == "" {
					screens++
				} else if len(failures) < 10 {
					failures = append(failures, failure)
				}
				mu.Unlock()
			}
		})
	}
	defer func() { stop(); wg.Wait() }()
	said := func(what string) {
		t.Helper()
		for range 300 {
			if strings.Contains(top.out.String(), what) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("topology.sh did not say %q within 30 s", what)
	}

	time.Sleep(time.Second)
	killed := []string{"mocks-c1-a", "bff-2"}
	for _, name := range killed {
		b, err := os.ReadFile(filepath.Join(run, name+".pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill %s: %v", name, err)
		}
	}
	for _, name := range killed {
		said("topology: " + name + " (pid ")
	}
	time.Sleep(2 * time.Second) // the survivors carry the traffic
	for _, name := range killed {
		out, err := exec.Command(filepath.Join(run, "restart"), name).CombinedOutput()
		if err != nil || !strings.Contains(string(out), name+" started") {
			t.Fatalf("restart %s: %v %s", name, err, out)
		}
		said("topology: " + name + " is back")
	}
	if _, err := httpStatus(fmt.Sprintf("http://127.0.0.1:%d/readyz", top.base+12), func(c int) bool { return c == http.StatusOK }); err != nil {
		t.Fatalf("the restarted bff-2 did not become ready: %v", err)
	}
	admin := top.mockAdmins()[0]
	if _, err := httpStatus("http://"+admin+"/healthz", func(c int) bool { return c == http.StatusOK }); err != nil {
		t.Fatalf("the restarted mocks-c1-a did not come up: %v", err)
	}
	served := false
	for range 150 { // the bff replicas find it through etcd again
		if served = mockCalls(t, admin) > 0; served {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !served {
		t.Error("the restarted mocks-c1-a served no call within 15 s")
	}
	time.Sleep(time.Second)
	stop()
	wg.Wait()
	t.Logf("%d whole screens through the kills and restarts; %d answers cut short and tried again: %v", screens, len(cuts), cuts)
	if len(cuts) > 8 {
		t.Errorf("%d answers cut short, more than the one each of the 8 clients can have had in flight when bff-2 was killed", len(cuts))
	}
	if len(failures) > 0 {
		t.Errorf("clients saw %d+ failed screens, first ones:\n%s", len(failures), strings.Join(failures, "\n"))
		for _, name := range []string{"bff-1", "bff-2"} { // what the replicas saw of it
			b, _ := os.ReadFile(filepath.Join(run, "..", name+".log"))
			var warn []string
			for _, line := range strings.Split(string(b), "\n") {
				failed := slices.ContainsFunc(failures, func(f string) bool {
					id, _, _ := strings.Cut(f, ":")
					return strings.Contains(line, `"`+id+`"`)
				})
				if failed || strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"status":503`) {
					warn = append(warn, line)
				}
			}
			t.Logf("%s's warnings, 503s and lines of the failed screens:\n%s", name, strings.Join(warn, "\n"))
		}
	}
	if screens < 500 {
		t.Errorf("only %d screens served: the drill did not run under traffic", screens)
	}
	top.interrupt(t)
}
