package main

import (
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// docker-compose.yml cannot be run here (no Docker engine), so this checks
// what can go wrong in it without one: every bff replica's command and
// environment parse as this binary's configuration, with all six targets,
// every target host is a service of the file, and the only trusted proxy is
// the gateway's fixed address.
func TestComposeTopologyConfiguresBFF(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Networks    any               `yaml:"networks"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	var gateway string
	if m := strings.Index(string(raw), "ipv4_address: "); m >= 0 {
		gateway = strings.Fields(string(raw)[m+len("ipv4_address: "):])[0]
	}
	replicas := 0
	for name, svc := range compose.Services {
		if len(svc.Command) == 0 || svc.Command[0] != "/bff" {
			continue
		}
		replicas++
		cfg, err := parseConfig(svc.Command, func(k string) string { return svc.Environment[k] }, io.Discard, io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cfg.mock() || len(cfg.targets) != 6 {
			t.Errorf("%s: %d targets, want all six (real mode)", name, len(cfg.targets))
		}
		for svcName, target := range cfg.targets {
			for _, hp := range strings.Split(strings.TrimPrefix(target, "static:///"), ",") {
				host, _, err := net.SplitHostPort(hp)
				if _, ok := compose.Services[host]; err != nil || !ok {
					t.Errorf("%s: %s target %q names no service of the file", name, svcName, hp)
				}
			}
		}
		trust, err := cfg.trust()
		if err != nil || len(trust) != 1 || !trust.Allows(gateway+":1") || trust.Allows(netip.MustParseAddr("172.28.0.11").String()+":1") {
			t.Errorf("%s: trusted proxies %v, want exactly the gateway %s", name, trust, gateway)
		}
	}
	if replicas < 2 {
		t.Errorf("%d bff replicas, want at least 2", replicas)
	}
}
