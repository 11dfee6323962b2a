package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"mosaic/clients/contract"
	feedv1 "mosaic/clients/feed/v1"
	statv1 "mosaic/clients/stat/v1"
)

func httpDo(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// The calls are counted with this instance's lane and cluster, whatever the
// request carries, and health checks are not counted.
func TestMetricsCountCallsWithTheInstancesLabels(t *testing.T) {
	line, _ := startRunLine(t, nil, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-services", "stat,feed", "-color", "canary", "-cluster", "c2")
	admin := "http://" + announced(t, line, "admin")
	conn, err := grpc.NewClient(announced(t, line, "on"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-color", "blue")
	for range 2 {
		if _, err := statv1.NewStatServiceClient(conn).BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: []int64{1, 2, 3}}); err != nil {
			t.Fatal(err)
		}
	}
	// A failed call is traffic too.
	fctx := metadata.AppendToOutgoingContext(ctx, contract.ScenarioKey, "feed=unavailable")
	if _, err := feedv1.NewFeedServiceClient(conn).Related(fctx, &feedv1.RelatedRequest{Aid: 1, N: 3}); err == nil {
		t.Fatal("the scenario did not fail the call")
	}
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	code, _, body := httpDo(t, "GET", admin+"/metrics")
	for _, want := range []string{
		`mock_rpc_calls_total{cluster="c2",color="canary",method="BatchGetStats",service="stat"} 2`,
		`mock_rpc_calls_total{cluster="c2",color="canary",method="Related",service="feed"} 1`,
		`mock_rpc_ids_total{cluster="c2",color="canary",method="BatchGetStats",service="stat"} 6`,
		`mock_rpc_ids_total{cluster="c2",color="canary",method="Related",service="feed"} 0`,
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %s:\n%s", code, want, body)
		}
	}
	if strings.Contains(body, "Health") || strings.Contains(body, `color="blue"`) {
		t.Errorf("/metrics counts health checks or the request's color:\n%s", body)
	}
}

func TestAdminFlipsHealth(t *testing.T) {
	line, _ := startRunLine(t, nil, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-services", "stat")
	admin := "http://" + announced(t, line, "admin")
	conn, err := grpc.NewClient(announced(t, line, "on"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hc := healthpb.NewHealthClient(conn)
	status := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		r, err := hc.Check(t.Context(), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health of %q: %v", service, err)
		}
		return r.GetStatus()
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		if code, _, _ := httpDo(t, "GET", admin+path); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
	if code, _, body := httpDo(t, "POST", admin+"/health?serving=false"); code != 200 || !strings.Contains(body, `"serving":false`) {
		t.Errorf("POST serving=false: %d %s", code, body)
	}
	for _, svc := range []string{"", "stat.v1.StatService"} {
		if s := status(svc); s != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("health of %q after serving=false: %v", svc, s)
		}
	}
	if code, h, _ := httpDo(t, "GET", admin+"/readyz"); code != 503 || h.Get("Content-Type") != "application/problem+json" {
		t.Errorf("GET /readyz when not serving: %d %q", code, h.Get("Content-Type"))
	}
	if code, _, _ := httpDo(t, "GET", admin+"/healthz"); code != 200 {
		t.Errorf("GET /healthz when not serving: %d, want 200 (alive)", code)
	}
	httpDo(t, "POST", admin+"/health?serving=true")
	if s := status("stat.v1.StatService"); s != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health after serving=true: %v", s)
	}
	if code, _, body := httpDo(t, "GET", admin+"/health"); code != 200 || !strings.Contains(body, `"serving":true`) {
		t.Errorf("GET /health: %d %s", code, body)
	}

	for _, tt := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"POST", "/health?serving=maybe", 400, `"param":"serving"`},
		{"POST", "/health", 400, `"param":"serving"`},
		{"DELETE", "/health", 405, `"status":405`},
		{"GET", "/nope", 404, `"status":404`},
	} {
		code, h, body := httpDo(t, tt.method, admin+tt.path)
		if code != tt.code || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: %d %q %s; want %d problem+json with %s", tt.method, tt.path, code, h.Get("Content-Type"), body, tt.code, tt.want)
		}
	}
}

func TestAdvertiseAndInstanceIDDefaults(t *testing.T) {
	tcp := func(s string) net.Addr {
		a, err := net.ResolveTCPAddr("tcp", s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tt := range []struct {
		flag, listen, want string
	}{
		{"", "127.0.0.1:9001", "127.0.0.1:9001"},
		{"", "0.0.0.0:9001", "box:9001"},
		{"", "[::]:9001", "box:9001"},
		{"", ":9001", "box:9001"},
		{"mock.svc:80", "0.0.0.0:9001", "mock.svc:80"},
	} {
		if got := advertiseAddr(tt.flag, tcp(tt.listen), "box"); got != tt.want {
			t.Errorf("advertiseAddr(%q, %s) = %q, want %q", tt.flag, tt.listen, got, tt.want)
		}
	}
	if got := instanceID("", tcp("0.0.0.0:9001"), "box"); got != "box-9001" {
		t.Errorf("instanceID default = %q", got)
	}
	if got := instanceID("x", tcp("0.0.0.0:9001"), "box"); got != "x" {
		t.Errorf("instanceID flag = %q", got)
	}
}
