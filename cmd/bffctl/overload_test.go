package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic/bff/problem"
	"mosaic/dto"
	"mosaic/internal/bench/report"
	"mosaic/internal/bench/workload"
)

func TestParseOverloadFlags(t *testing.T) {
	cfg, err := parseOverload(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Loads, []float64{0.5, 1, 2, 3}) || !slices.Equal(cfg.Probe, []int{16, 32, 64, 128, 256}) ||
		cfg.Scene != workload.Feed || cfg.Device != "web" || cfg.Latency != 10*time.Millisecond || !cfg.Pin || cfg.Deadline != 800*time.Millisecond || cfg.Rounds != 5 {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.ProbeDur != 3*time.Second || cfg.GatewayConns != 0 {
		t.Errorf("probe steps %v, gateway cap %d: want 3s steps, no gateway", cfg.ProbeDur, cfg.GatewayConns)
	}
	if cfg, _ := parseOverload([]string{"-duration", "7s", "-probe-duration", "0", "-gateway-max-conns", "64", "-bff-cpu", "2"}, io.Discard); cfg.ProbeDur != 7*time.Second || cfg.GatewayConns != 64 || cfg.GatewayCPU != "2" {
		t.Errorf("-duration 7s -probe-duration 0 -gateway-max-conns 64 -bff-cpu 2: probe steps %v, cap %d, gateway on CPU %q", cfg.ProbeDur, cfg.GatewayConns, cfg.GatewayCPU)
	}
	cfg, err = parseOverload([]string{"-bff-flags", " -max-inflight  64 ", "-loads", "1,4"}, io.Discard)
	if err != nil || !slices.Equal(cfg.BFFFlags, []string{"-max-inflight", "64"}) || !slices.Equal(cfg.Loads, []float64{1, 4}) {
		t.Errorf("got %q %v, %v", cfg.BFFFlags, cfg.Loads, err)
	}
	for _, bad := range [][]string{
		{"-loads", "1,x"}, {"-loads", "0"}, {"-probe", "0"}, {"-scene", "home"}, {"-device", "tv"},
		{"-ps", "-1"}, {"-duration", "0s"}, {"-gateway-max-conns", "-1"}, {"-rounds", "0"}, {"-md", ""}, {"extra"},
	} {
		if _, err := parseOverload(bad, io.Discard); err == nil {
			t.Errorf("parseOverload(%q) accepted", bad)
		}
	}
}

func TestAttackSubcommandPrintsSummary(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		problem.Write(w, dto.Problem{Status: 503, Detail: "overloaded"})
	}))
	defer srv.Close()
	out, _, err := bffctl(t, "overload-attack", "-url", srv.URL, "-rate", "50", "-duration", "200ms")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"shed_503":10`) || !strings.Contains(out, `"ok":0`) {
		t.Errorf("summary %s: want 10 shed, 0 OK", out)
	}
	if _, _, err := bffctl(t, "overload-attack", "-url", srv.URL); err == nil {
		t.Error("overload-attack without a rate or workers succeeded")
	}
}

// svgWellFormed fails the test if doc is not well-formed XML.
func svgWellFormed(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := report.ReadSVG(doc); err != nil {
		t.Fatal(err)
	}
}
