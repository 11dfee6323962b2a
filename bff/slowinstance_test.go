package bff_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"mosaic/bff/apitest"
	"mosaic/clients"
	"mosaic/clients/balance"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
	"mosaic/mocks/scenario"
)

// archiveInstances serves the archive service on three loopback instances
// (with the health service, as real ones have), each latency slow, the first
// one extra slower besides, and returns their static target and recorders.
func archiveInstances(t *testing.T, latency, extra time.Duration) (string, []*record.Recorder) {
	t.Helper()
	var addrs []string
	var recs []*record.Recorder
	for i := range 3 {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		rec := &record.Recorder{}
		d := latency
		if i == 0 {
			d += extra
		}
		srv := grpc.NewServer(grpc.ChainUnaryInterceptor(rec.Interceptor(), scenario.LatencyInterceptor(d, 0)))
		if err := fakes.Register(srv, dataset.Shared(apitest.Seed), clients.Archive); err != nil {
			t.Fatal(err)
		}
		healthpb.RegisterHealthServer(srv, health.NewServer())
		done := make(chan struct{})
		go func() { _ = srv.Serve(lis); close(done) }()
		t.Cleanup(func() { srv.Stop(); <-done })
		addrs = append(addrs, lis.Addr().String())
		recs = append(recs, rec)
	}
	return "static:///" + strings.Join(addrs, ","), recs
}

// feedRun is one topology under test and the feed latencies measured on it.
type feedRun struct {
	name    string
	srv     *apitest.Server
	samples []time.Duration
}

// get makes web feed request i (users and pages vary, so the archives do)
// and returns its latency.
func (r *feedRun) get(client *http.Client, i int) (time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/web/v1/feed?page=%d", r.srv.URL, 1+i%5), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-User-Id", fmt.Sprint(1+i%97))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: status %d", r.name, resp.StatusCode)
	}
	return time.Since(start), nil
}

// lockstep has each of workers make n rounds of requests, one to every run
// at the same moment, so every topology carries steady traffic and a stall
// of the shared machine falls on all of them alike. keep records the
// latencies.
func lockstep(t *testing.T, runs []*feedRun, workers, n int, keep bool) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var mu sync.Mutex
	var failed error
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range n {
				var round sync.WaitGroup
				for _, r := range runs {
					round.Go(func() {
						took, err := r.get(client, w*n+i)
						mu.Lock()
						defer mu.Unlock()
						if err != nil && failed == nil {
							failed = err
						}
						if err == nil && keep {
							r.samples = append(r.samples, took)
						}
					})
				}
				round.Wait()
			}
		})
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
}

func p99(samples []time.Duration) time.Duration {
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[(len(s)*99+99)/100-1]
}

// One archive instance of three answers 200 ms slower than the others. With
// the load-aware balancer the feed's p99 stays within 1.5× of its p99 with
// all three healthy, and the slow instance gets well under the third of the
// calls round robin would send it.
func TestSlowInstanceDoesNotSetTheFeedTail(t *testing.T) {
	if testing.Short() {
		t.Skip("measures feed percentiles over about a thousand requests")
	}
	const (
		latency = 2 * time.Millisecond
		extra   = 200 * time.Millisecond
		workers = 2
		warmup  = 10  // rounds per worker
		perRun  = 300 // rounds per worker: 600 samples per topology
	)
	start := func(name string, slowBy time.Duration) (*feedRun, []*record.Recorder) {
		target, recs := archiveInstances(t, latency, slowBy)
		// Deadlines far above the slow instance's 200 ms: this measures
		// latency, and must not turn a slow run (-race, a busy machine)
		// into failed requests.
		srv := apitest.Start(t, apitest.Options{Latency: latency, Deadline: 5 * time.Second, CallTimeout: 3 * time.Second,
			Targets: map[string]string{clients.Archive: target}})
		return &feedRun{name: name, srv: srv}, recs
	}
	healthy, _ := start("all healthy", 0)
	ours, recs := start("one slow", extra)
	runs := []*feedRun{healthy, ours}
	lockstep(t, runs, workers, warmup, false) // connections, first estimates
	for _, r := range recs {
		r.Reset()
	}
	lockstep(t, runs, workers, perRun, true)

	base, got := p99(healthy.samples), p99(ours.samples)
	slow, all := recs[0].Count(mArchives), 0
	for _, r := range recs {
		all += r.Count(mArchives)
	}
	t.Logf("feed p99 over %d requests each: all healthy %v; one slow with %s %v (%d of %d archive calls to the slow instance after warm-up)",
		len(healthy.samples), base.Round(time.Microsecond), balance.Name, got.Round(time.Microsecond), slow, all)
	if got > base*3/2 {
		t.Errorf("with one slow instance the feed p99 is %v, more than 1.5× the all-healthy %v", got, base)
	}
	// That the slow instance is avoided, rather than lost in the noise:
	// when the all-healthy tail is under the slow instance's extra 200 ms,
	// so that it is distinguishable at all, it gets well under the third of
	// the calls round robin sends each instance. (Under -race on a busy
	// machine the healthy tail alone can pass 200 ms; p2c then rightly
	// treats the slow instance as merely a little slower.)
	if base < extra && slow*4*3 > all {
		t.Errorf("the slow instance got %d of %d archive calls: want under a quarter of round robin's third", slow, all)
	}
}
