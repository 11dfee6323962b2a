package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/binaries"
	"mosaic/mocks/dataset"
	"mosaic/mocks/logbuf"
)

func TestMain(m *testing.M) { binaries.Main(m) }

// startRun runs run in the background and returns the address it announces.
// Cleanup cancels it and checks it returns nil promptly.
func startRun(t *testing.T, env map[string]string, args ...string) (addr string, stop func() error) {
	t.Helper()
	line, stop := startRunLine(t, env, args...)
	return announced(t, line, "on"), stop
}

// startRunLine runs run in the background and returns the line it announces.
func startRunLine(t *testing.T, env map[string]string, args ...string) (line string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &logbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"mocksvc"}, args...), func(k string) string { return env[k] }, pw, stderr)
		pw.Close() // ends the scan below if run fails before announcing
		done <- err
	}()

	sc := bufio.NewScanner(pr)
	if sc.Scan() { // one line only: run writes nothing else to stdout
		line = sc.Text()
	}
	// Drain anything else run writes, so it never blocks on the pipe; this
	// ends when run returns and closes pw.
	drained := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, pr); close(drained) }()

	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(10 * time.Second):
				result = errors.New("run did not return within 10s of cancel")
				return
			}
			<-drained
		})
		return result
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("run: %v", err)
		}
	})

	const prefix = "mocksvc serving "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("announcement %q (stderr %q, run: %v)", line, stderr.String(), stop())
	}
	return line, stop
}

// announced is the word after " word " in an announcement: "on" gives the
// gRPC address, "admin" the admin one.
func announced(t *testing.T, line, word string) string {
	t.Helper()
	_, after, ok := strings.Cut(line, " "+word+" ")
	if !ok {
		t.Fatalf("no %q in %q", word, line)
	}
	v, _, _ := strings.Cut(after, " ")
	return v
}

func TestRun(t *testing.T) {
	addr, stop := startRun(t, nil, "-addr", "127.0.0.1:0", "-services", "stat, feed", "-seed", "1")
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("announced address %q", addr)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := t.Context()

	stats, err := statv1.NewStatServiceClient(conn).BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: []int64{1, 2, 3}})
	if err != nil || len(stats.GetStats()) != 3 {
		t.Fatalf("BatchGetStats: %v, %v", stats, err)
	}
	if want, _ := dataset.New(1, dataset.Skewed()).Stat(1); stats.GetStats()[1].GetView() != want.GetView() {
		t.Errorf("stat 1 view %d, want %d (seed 1, Skewed)", stats.GetStats()[1].GetView(), want.GetView())
	}
	if r, err := feedv1.NewFeedServiceClient(conn).Related(ctx, &feedv1.RelatedRequest{Aid: 1, N: 3}); err != nil || len(r.GetAids()) != 3 {
		t.Errorf("Related: %v, %v", r, err)
	}
	_, err = accountv1.NewAccountServiceClient(conn).BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: []int64{1}})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("account, not served: %v, want Unimplemented", err)
	}

	// Scenarios are honored by default.
	sctx := metadata.AppendToOutgoingContext(ctx, contract.ScenarioKey, "stat=error:RESOURCE_EXHAUSTED")
	if _, err := statv1.NewStatServiceClient(conn).BatchGetStats(sctx, &statv1.BatchGetStatsRequest{Aids: []int64{1}}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("stat under scenario: %v, want ResourceExhausted", err)
	}

	hc := healthpb.NewHealthClient(conn)
	for svc, want := range map[string]healthpb.HealthCheckResponse_ServingStatus{
		"":                          healthpb.HealthCheckResponse_SERVING,
		"stat.v1.StatService":       healthpb.HealthCheckResponse_SERVING,
		"feed.v1.FeedService":       healthpb.HealthCheckResponse_SERVING,
		"account.v1.AccountService": 0, // not registered: NotFound
	} {
		r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		switch {
		case want == 0 && status.Code(err) != codes.NotFound:
			t.Errorf("health of %q: %v, %v; want NotFound", svc, r, err)
		case want != 0 && (err != nil || r.GetStatus() != want):
			t.Errorf("health of %q: %v, %v; want %v", svc, r, err, want)
		}
	}

	// A health watcher sees NOT_SERVING on shutdown, and its open stream does not
	// stop run from returning.
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	watch, err := hc.Watch(wctx, &healthpb.HealthCheckRequest{Service: "stat.v1.StatService"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := watch.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("watch: %v, %v", r, err)
	}
	stopped := make(chan error, 1)
	begin := time.Now()
	go func() { stopped <- stop() }()
	if r, err := watch.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("watch after cancel: %v, %v; want NOT_SERVING", r, err)
	}
	if r, err := watch.Recv(); err == nil {
		t.Errorf("watch still open after NOT_SERVING: %v", r)
	}
	if err := <-stopped; err != nil {
		t.Errorf("run returned %v after cancel", err)
	}
	if d := time.Since(begin); d >= shutdownGrace {
		t.Errorf("shutdown with a health watcher took %v: the watch held GracefulStop", d)
	}
	wcancel()
}

func TestRunStopsPromptly(t *testing.T) {
	addr, stop := startRun(t, map[string]string{"MOSAIC_ADDR": "127.0.0.1:0", "MOSAIC_SERVICES": "reply"})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{Service: "reply.v1.ReplyService"}); err != nil {
		t.Fatalf("env-configured service: %v", err)
	}
	begin := time.Now()
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
	if d := time.Since(begin); d > 3*time.Second {
		t.Errorf("idle shutdown took %v", d)
	}
}

func TestRunConfigErrors(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-services", "stat,nope"}, nil, `unknown service "nope"`},
		{nil, map[string]string{"MOSAIC_SERVICES": "bogus"}, `unknown service "bogus"`},
		{[]string{"-services", "stat,stat"}, nil, "stat is listed twice"},
		{[]string{"-services", " , "}, nil, "no service"},
		{nil, map[string]string{"MOSAIC_SEED": "x"}, "MOSAIC_SEED"},
		{[]string{"-latency", "-1s"}, nil, "negative"},
		{[]string{"extra"}, nil, "unexpected arguments"},
		{[]string{"-addr", "256.0.0.1:0"}, nil, "listen"},
		{[]string{"-addr", "127.0.0.1:0", "-admin-addr", "256.0.0.1:0"}, nil, "admin listen"},
		{[]string{"-registry", " , "}, nil, "-registry"},
		{nil, map[string]string{"MOSAIC_REGISTRY_TTL": "11s"}, "-registry-ttl"},
		{[]string{"-registry-ttl", "1500ms"}, nil, "-registry-ttl"},
		{[]string{"-advertise", "nohost"}, nil, "-advertise"},
		{[]string{"-advertise", ":9000"}, nil, "-advertise"},
		{[]string{"-advertise", "0.0.0.0:9000"}, nil, "-advertise"},
		{[]string{"-advertise", "h:0"}, nil, "-advertise"},
		{[]string{"-instance-id", "a/b"}, nil, "-instance-id"},
		{[]string{"-weight", "-1"}, nil, "-weight"},
		{[]string{"-color", "Canary"}, nil, "-color"},
		{[]string{"-color", "a b"}, nil, "-color"},
		{nil, map[string]string{"MOSAIC_COLOR": "-canary"}, "-color"},
		{[]string{"-archives", "10"}, nil, "-archives"},
		{[]string{"-accounts", "0"}, nil, "-accounts"},
		{nil, map[string]string{"MOSAIC_ZIPF": "-1"}, "-zipf"},
		{[]string{"-classic", "-zipf", "1"}, nil, "-classic fixes the catalogue: drop -zipf"},
		{[]string{"-archives", "500"}, map[string]string{"MOSAIC_CLASSIC": "true"}, "drop -archives"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		getenv := func(k string) string { return tt.env[k] }
		// A bound on each: a value read wrongly would start a server that
		// serves until the test binary's timeout, ten minutes on.
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := run(ctx, append([]string{"mocksvc"}, tt.args...), getenv, &stdout, &stderr)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %q %v: %v, want an error mentioning %q", tt.args, tt.env, err, tt.want)
		}
		if stdout.Len() > 0 {
			t.Errorf("run %q announced %q", tt.args, stdout.String())
		}
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	env := map[string]string{
		"MOSAIC_SERVICES": "nope", "MOSAIC_SEED": "7", "MOSAIC_SCENARIOS": "false", "MOSAIC_LATENCY": "5ms",
		"MOSAIC_REGISTRY": "127.0.0.1:1,127.0.0.1:2", "MOSAIC_COLOR": "canary", "MOSAIC_CLUSTER": "c2",
		"MOSAIC_ZONE": "z1", "MOSAIC_INSTANCE_ID": "env-id", "MOSAIC_ADVERTISE": "mock:9", "MOSAIC_ADMIN_ADDR": ":9101",
		"MOSAIC_REGISTRY_TTL": "3s", "MOSAIC_WEIGHT": "4",
	}
	cfg, err := parseConfig([]string{"mocksvc", "-services", "feed", "-color", "blue"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.services) != 1 || cfg.services[0] != "feed" || cfg.seed != 7 || cfg.scenarios || cfg.latency != 5*time.Millisecond {
		t.Errorf("config %+v", cfg)
	}
	if strings.Join(cfg.registry, " ") != "127.0.0.1:1 127.0.0.1:2" || cfg.color != "blue" || cfg.cluster != "c2" || cfg.zone != "z1" ||
		cfg.instanceID != "env-id" || cfg.advertise != "mock:9" || cfg.adminAddr != ":9101" || cfg.ttl != 3*time.Second || cfg.weight != 4 {
		t.Errorf("registration config %+v", cfg)
	}
	cfg, err = parseConfig([]string{"mocksvc"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.world != dataset.Skewed() {
		t.Errorf("default catalogue %+v, want Skewed %+v", cfg.world, dataset.Skewed())
	}
	if cfg.addr != ":9000" || len(cfg.services) != 6 || cfg.seed != 1 || !cfg.scenarios ||
		cfg.registry != nil || cfg.adminAddr != "" || cfg.ttl != 5*time.Second || cfg.color != "" {
		t.Errorf("defaults %+v", cfg)
	}
}

// -h prints the usage on stdout and is not a failure, as for cmd/bff.
func TestHelpPrintsUsageAndSucceeds(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"mocksvc", "-h"}, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("run -h: %v", err)
	}
	if !strings.Contains(stdout.String(), "-registry-ttl") || stderr.Len() != 0 {
		t.Errorf("stdout %q, stderr %q: want the usage on stdout", stdout.String(), stderr.String())
	}
}

// TestCatalogue: the default is the Skewed catalogue, -classic the world of
// the in-process mocks, and -archives, -accounts and -zipf shape the first.
func TestCatalogue(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want dataset.Config
	}{
		{nil, dataset.Skewed()},
		{[]string{"-classic"}, dataset.Classic()},
		{[]string{"-archives", "5000", "-accounts", "300", "-zipf", "0"}, dataset.Config{Archives: 5000, Accounts: 300, PerID: true}},
		{[]string{"-zipf", "1.2"}, dataset.Config{Archives: 100_000, Accounts: 20_000, Zipf: 1.2, PerID: true}},
	} {
		cfg, err := parseConfig(append([]string{"mocksvc"}, tt.args...), func(string) string { return "" }, io.Discard)
		if err != nil || cfg.world != tt.want {
			t.Errorf("%q: %+v, %v; want %+v", tt.args, cfg.world, err, tt.want)
		}
	}
	// -classic serves what the in-process mocks of the same seed serve.
	addr, _ := startRun(t, nil, "-addr", "127.0.0.1:0", "-services", "archive", "-seed", "1", "-classic")
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, err := archivev1.NewArchiveServiceClient(conn).BatchGetArchives(t.Context(), &archivev1.BatchGetArchivesRequest{Aids: []int64{10_000, 10_001}})
	if want, _ := dataset.Shared(1).Archive(10_000); err != nil || !proto.Equal(got.GetArchives()[10_000], want) || len(got.GetArchives()) != 1 {
		t.Errorf("-classic archives 10000 and 10001: %v, %v; want only %v", got, err, want)
	}
}

// mocksvc's own lines say when: how long an instance was out of etcd is
// read off them.
func TestLogLinesAreTimed(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr := &logbuf.Buffer{}, &logbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"mocksvc", "-addr", "127.0.0.1:0", "-admin-addr", "", "-services", "reply"}, func(string) string { return "" }, stdout, stderr)
	}()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stdout.String(), "mocksvc serving"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no announcement: stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	timed := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} mocksvc: shutting down$`)
	if line := strings.TrimSpace(stderr.String()); !timed.MatchString(line) {
		t.Errorf("stderr %q, want one timed line saying it shuts down", line)
	}
}
