package cluster_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"mosaic/clients"
	accountv1 "mosaic/clients/account/v1"
	feedv1 "mosaic/clients/feed/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/internal/leaktest"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/internal/mocktest"
	"mosaic/mocks/record"
)

func TestLatency(t *testing.T) {
	const latency = 50 * time.Millisecond
	rec := &record.Recorder{}
	_, cl := mocktest.Start(t, fakes.Options{Recorder: rec, Latency: latency, Jitter: 10 * time.Millisecond})
	start := time.Now()
	if _, err := cl.Stat.BatchGetStats(t.Context(), &statv1.BatchGetStatsRequest{Aids: mocktest.IDs(1, 2)}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < latency {
		t.Errorf("call took %v, want at least %v", elapsed, latency)
	}
	if c := rec.Calls()[0]; c.End.Sub(c.Start) < latency {
		t.Errorf("recorded %v, want at least %v", c.End.Sub(c.Start), latency)
	}
}

func TestLatencyRespectsCancellation(t *testing.T) {
	const latency = time.Hour
	rec := &record.Recorder{}
	_, cl := mocktest.Start(t, fakes.Options{Recorder: rec, Latency: latency})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := cl.Feed.Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 3})
	mocktest.WantCode(t, "client", err, codes.DeadlineExceeded)
	for give := time.Now().Add(30 * time.Second); rec.Count(feedv1.FeedService_Related_FullMethodName) == 0; {
		if time.Now().After(give) { // far below the hour of latency
			t.Fatal("the server is still sleeping after the caller gave up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c := rec.Calls()[0]; c.Code != codes.DeadlineExceeded && c.Code != codes.Canceled {
		t.Errorf("server ended the call with %v", c.Code)
	}
}

func TestStartStopLeavesNoGoroutines(t *testing.T) {
	defer leaktest.None(t, goleak.IgnoreCurrent())
	c, err := cluster.Start(t.Context(), mocktest.Seed1(), fakes.Options{Recorder: &record.Recorder{}, Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range clients.Services() {
		conn, err := grpc.NewClient(c.Addr(name), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = accountv1.NewAccountServiceClient(conn).BatchGetProfiles(t.Context(), &accountv1.BatchGetProfilesRequest{Mids: mocktest.IDs(1, 2)})
		if name == clients.Account && err != nil {
			t.Error(err)
		} else if name != clients.Account {
			mocktest.WantCode(t, name+" serving account", err, codes.Unimplemented)
		}
		conn.Close()
	}
	c.Stop()
	c.Stop() // idempotent
}

// Targets names every service of the registry, each at its own address.
func TestTargets(t *testing.T) {
	c, err := cluster.Start(t.Context(), dataset.Shared(1), fakes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	targets := c.Targets()
	if len(targets) != len(fakes.Services()) {
		t.Fatalf("%d targets for %d services: %v", len(targets), len(fakes.Services()), targets)
	}
	for _, svc := range fakes.Services() {
		if want := "static:///" + c.Addr(svc.Name); c.Addr(svc.Name) == "" || targets[svc.Name] != want {
			t.Errorf("%s: target %q, want %q", svc.Name, targets[svc.Name], want)
		}
	}
}
