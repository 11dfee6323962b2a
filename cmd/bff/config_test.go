package main

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"mosaic/bff/apitest"
	"mosaic/bff/server"
)

// -h prints the usage on stdout and is not a failure.
func TestHelpPrintsUsageAndSucceeds(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"bff", "-h"}, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("run -h: %v", err)
	}
	for _, flag := range []string{"-registry", "-cluster", "-subset", "-instance-id", "-scene-deadline"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("usage lacks %s:\n%s", flag, out.String())
		}
	}
}

// -registry discovers every downstream in etcd unless a target is given;
// every flag can also come from its MOSAIC_ environment variable.
func TestRegistryTargets(t *testing.T) {
	env := map[string]string{"MOSAIC_REGISTRY": "127.0.0.1:2379, 127.0.0.1:22379", "MOSAIC_SUBSET": "4"}
	c, err := parseConfig([]string{"bff", "-stat-target", "static:///127.0.0.1:7000"}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.mock() || c.subset != 4 || len(c.registry) != 2 || c.registry[1] != "127.0.0.1:22379" {
		t.Errorf("config %+v", c)
	}
	if c.targets["stat"] != "static:///127.0.0.1:7000" || c.targets["archive"] != "etcd:///archive" {
		t.Errorf("targets %v: want stat explicit and the others in etcd", c.targets)
	}
	if _, err := parseConfig([]string{"bff", "-subset", "-1"}, func(string) string { return "" }, nil); err == nil {
		t.Error("a negative -subset was accepted")
	}
}

// -mock=false, as the manifests give it, makes a replica whose downstream
// configuration is lost (an empty MOSAIC_REGISTRY) fail at start instead
// of serving faker data, ready.
func TestMockFalseRefusesToStartWithoutDownstreams(t *testing.T) {
	env := map[string]string{"MOSAIC_MOCK": "false", "MOSAIC_REGISTRY": ""}
	if _, err := parseConfig([]string{"bff"}, func(k string) string { return env[k] }, nil); err == nil || !strings.Contains(err.Error(), "-mock=false") {
		t.Errorf("no downstream with -mock=false: %v, want a refusal naming -mock=false", err)
	}
	env["MOSAIC_REGISTRY"] = "127.0.0.1:2379"
	if c, err := parseConfig([]string{"bff"}, func(k string) string { return env[k] }, nil); err != nil || c.mock() {
		t.Errorf("-registry with -mock=false: mock %v, %v", c.mock(), err)
	}
	if c, err := parseConfig([]string{"bff"}, func(string) string { return "" }, nil); err != nil || !c.mock() {
		t.Errorf("no flags at all: mock %v, %v; want mock mode, the newcomer's go run", c.mock(), err)
	}
}

// -trusted-proxies takes a gateway's address as well as its network: the
// address alone is trusted, no neighbour of it.
func TestTrustedProxiesTakeAddresses(t *testing.T) {
	c, err := parseConfig([]string{"bff", "-trusted-proxies", "10.0.0.7, 192.168.0.0/16,fd00::1"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"10.0.0.7:1": true, "10.0.0.8:1": false, "192.168.3.4:1": true, "[fd00::1]:1": true, "[fd00::2]:1": false} {
		if got := c.server.Trust.Allows(addr); got != want {
			t.Errorf("trusts %s: %v, want %v", addr, got, want)
		}
	}
}

// -cors-origins (or MOSAIC_CORS_ORIGINS) and -server-timing reach the
// config; a malformed origin stops the start, naming the flag.
func TestHTTPConventionFlags(t *testing.T) {
	env := map[string]string{"MOSAIC_CORS_ORIGINS": "https://m.example.com, https://*.example.org"}
	c, err := parseConfig([]string{"bff", "-server-timing"}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.server.ServerTiming || len(c.server.CORSOrigins) != 2 || c.server.CORSOrigins[1] != "https://*.example.org" {
		t.Errorf("config %+v", c)
	}
	if c, err := parseConfig([]string{"bff"}, func(string) string { return "" }, nil); err != nil || c.server.ServerTiming || c.server.CORSOrigins != nil {
		t.Errorf("defaults: %+v, %v; want no CORS and no Server-Timing for the public", c, err)
	}
	_, err = parseConfig([]string{"bff", "-cors-origins", "https://m.example.com/app"}, func(string) string { return "" }, nil)
	if err == nil || !strings.Contains(err.Error(), "-cors-origins") {
		t.Errorf("an origin with a path: %v", err)
	}
}

// The flags default to server.Defaults, the configuration the end-to-end
// tests run with, and fill it from the command line or the environment.
func TestFlagsFillTheServerConfig(t *testing.T) {
	c, err := parseConfig([]string{"bff"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := c.server
	if !got.Mock || got.Trust == nil {
		t.Errorf("no target: mock %v, trust %v; want mock mode trusting loopback", got.Mock, got.Trust)
	}
	got.Mock, got.Trust = false, nil
	if want := server.Defaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	env := map[string]string{"MOSAIC_SCENE_DEADLINE": "2s", "MOSAIC_MIN_INFLIGHT": "4", "MOSAIC_CLUSTER": "c2", "MOSAIC_REGISTRY": "127.0.0.1:2379"}
	c, err = parseConfig([]string{"bff", "-call-timeout", "1s", "-seed", "7"}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.server
	if s.Deadline != 2*time.Second || s.CallTimeout != time.Second || s.Seed != 7 || s.Admission.Min != 4 || s.Cluster != "c2" {
		t.Errorf("config %+v", s)
	}
	env = map[string]string{"MOSAIC_CACHE": "false", "MOSAIC_CACHE_STAT_FRESH": "3s"}
	c, err = parseConfig([]string{"bff", "-cache-archive-fresh", "20s", "-cache-account-fresh", "30s", "-cache-stale", "1m", "-cache-negative", "0s", "-cache-mb", "32"}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := server.Cache{ArchiveFresh: 20 * time.Second, AccountFresh: 30 * time.Second, StatFresh: 3 * time.Second, Stale: time.Minute, MB: 32}
	if c.server.Cache != want {
		t.Errorf("cache %+v, want %+v", c.server.Cache, want)
	}
	for _, bad := range [][]string{{"-cache-stat-fresh", "0s"}, {"-cache-stale", "-1s"}, {"-cache-mb", "0"}, {"-inflight-target", "-1ms"}, {"-inflight-target", "1s"},
		{"-subset", "-1"}, {"-subset", "2"}, {"-call-timeout", "800ms"}, {"-call-timeout", "2s"}, {"-call-timeout", "-1ms"}, {"-downstream-keepalive", "5s"}, {"-downstream-keepalive", "-1s"},
		{"-grace", "-1s"}, {"-drain", "-1s"}, {"-mock-latency", "-5ms"}, {"-mock-jitter", "-1ms"}, {"-max-conns", "-1"},
		{"-cluster", "c1"}, {"-instance-id", "bff-3"}} {
		if _, err := parseConfig(append([]string{"bff"}, bad...), func(string) string { return "" }, nil); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: %v, want an error naming %s", bad, err, bad[0])
		}
	}
	// From the environment, the error also names the variable.
	_, err = parseConfig([]string{"bff"}, func(k string) string { return map[string]string{"MOSAIC_MAX_CONNS": "-5"}[k] }, nil)
	if want := `-max-conns is MOSAIC_MAX_CONNS="-5"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("MOSAIC_MAX_CONNS=-5: %v, want an error saying %s", err, want)
	}
}

// The defaults docs/ARCHITECTURE.md and the README promise: the public
// listener on :8080, the admin listener on loopback only (never on the
// public interfaces by default), seed 1 (the goldens' and every end-to-end
// test's), an 800 ms scene deadline.
func TestDefaultsAreTheDesigns(t *testing.T) {
	c, err := parseConfig([]string{"bff"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != ":8080" || c.adminAddr != "127.0.0.1:9090" {
		t.Errorf("listeners %q and %q, want :8080 and 127.0.0.1:9090", c.addr, c.adminAddr)
	}
	if c.server.Seed != 1 {
		t.Errorf("seed %d, want 1", c.server.Seed)
	}
	if c.server.Seed != apitest.Seed {
		t.Errorf("seed %d, but the goldens are of apitest.Seed %d", c.server.Seed, apitest.Seed)
	}
	if c.server.Deadline != 800*time.Millisecond {
		t.Errorf("scene deadline %v, want 800ms", c.server.Deadline)
	}
	// The rest as the README and docs/ARCHITECTURE.md give them: the
	// flags' defaults are server.Defaults (TestFlagsFillTheServerConfig),
	// held here to the documents.
	s := c.server
	if s.CallTimeout != 500*time.Millisecond || s.Keepalive != 10*time.Second || c.maxConns != 1024 {
		t.Errorf("call timeout %v, keepalive %v, max conns %d; want 500ms, 10s, 1024", s.CallTimeout, s.Keepalive, c.maxConns)
	}
	if a := s.Admission; a.Min != 64 || a.Max != 1024 || a.QueueWait != 50*time.Millisecond || a.Target != 0 {
		t.Errorf("admission %+v, want 64 to 1024 in flight, a 50ms queue wait, and the target derived (an eighth of the deadline)", a)
	}
	want := server.Cache{On: true, ArchiveFresh: 10 * time.Second, AccountFresh: 10 * time.Second, StatFresh: time.Second,
		Stale: 5 * time.Minute, Negative: 2 * time.Second, MB: 64}
	if s.Cache != want {
		t.Errorf("caches %+v, want %+v", s.Cache, want)
	}
}

// Two replicas on one host get different default ids, each the same across
// restarts on its port.
func TestDefaultInstanceIDNamesHostAndPort(t *testing.T) {
	for _, tt := range []struct{ host, addr, want string }{
		{"pod-7", ":8080", "pod-7-8080"},
		{"pod-7", "127.0.0.1:8081", "pod-7-8081"},
		{"pod-7", ":0", "pod-7"},
		{"pod-7", ":http", "pod-7"},
		{"a b/c", ":8080", "a_b_c-8080"},
		{"", ":8080", "bff-8080"},
	} {
		if got := defaultInstanceID(tt.host, tt.addr); got != tt.want {
			t.Errorf("defaultInstanceID(%q, %q) = %q, want %q", tt.host, tt.addr, got, tt.want)
		}
	}
	c, err := parseConfig([]string{"bff", "-addr", ":8181"}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := os.Hostname(); h != "" && c.instanceID != defaultInstanceID(h, ":8181") {
		t.Errorf("instance id %q with -addr :8181 on %s", c.instanceID, h)
	}
}

// /metrics says which build a replica runs.
func TestMetricsNameTheBuild(t *testing.T) {
	families, err := processMetrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "go_build_info" {
			continue
		}
		for _, l := range f.GetMetric()[0].GetLabel() {
			if l.GetName() == "path" && l.GetValue() != "" {
				return
			}
		}
	}
	t.Error("/metrics has no go_build_info with the module's path")
}
