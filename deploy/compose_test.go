package deploy

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

type composeFile struct {
	Services map[string]composeService `json:"services"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet  string `json:"subnet"`
				IPRange string `json:"ip_range"`
			} `json:"config"`
		} `json:"ipam"`
	} `json:"networks"`
}

type composeService struct {
	Image string `json:"image"`
	Build *struct {
		Context string `json:"context"`
		Target  string `json:"target"`
	} `json:"build"`
	Command     []string          `json:"command"`
	Environment map[string]string `json:"environment"`
	DependsOn   map[string]struct {
		Condition string `json:"condition"`
	} `json:"depends_on"`
	Healthcheck *struct {
		Test []string `json:"test"`
	} `json:"healthcheck"`
	Ports           []string `json:"ports"`
	Volumes         []string `json:"volumes"`
	Networks        any      `json:"networks"`
	StopGracePeriod string   `json:"stop_grace_period"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile(repoRoot + "/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// ipv4 is the fixed address a service asks for on a network, if any.
func (s composeService) ipv4() string {
	nets, _ := s.Networks.(map[string]any)
	for _, n := range nets {
		if m, ok := n.(map[string]any); ok {
			if ip, ok := m["ipv4_address"].(string); ok {
				return ip
			}
		}
	}
	return ""
}

// composeApp is a compose service that runs one of the binaries.
type composeApp struct {
	name  string
	svc   composeService
	bin   *binary
	flags []flagArg
}

// testComposeFleet checks docker-compose.yml without Docker: every bff and
// mocksvc command line and MOSAIC_ environment goes through the binary's own
// flag parser; each is then started on loopback with its flags (a local etcd
// as -registry) and its healthcheck URL must answer 200 on the port it names;
// -registry names the etcd service, -advertise the service itself at its gRPC
// port, instance ids are unique, the bff trusts only the gateway's address,
// stop_grace_period covers the shutdown, every service_healthy dependency has
// a healthcheck, and the fleet has the shape the README describes.
func testComposeFleet(t *testing.T, bins map[string]*binary) {
	c := loadCompose(t)
	reg := startEtcd(t)
	gateway := c.Services["gateway"].ipv4()
	if !subnetHolds(c, gateway) {
		t.Errorf("gateway address %q is in no network's subnet", gateway)
	}
	checkFixedAddresses(t, c)
	var apps []composeApp
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range c.Services {
			if !yield(n) {
				return
			}
		}
	}) {
		svc := c.Services[name]
		for dep, d := range svc.DependsOn {
			if d.Condition == "service_healthy" && c.Services[dep].Healthcheck == nil {
				t.Errorf("%s waits for %s to be healthy, which has no healthcheck", name, dep)
			}
		}
		if len(svc.Command) == 0 || bins[strings.TrimPrefix(svc.Command[0], "/")] == nil {
			continue
		}
		b := bins[strings.TrimPrefix(svc.Command[0], "/")]
		flags, err := b.checkCommand(svc.Command[1:], svc.Environment)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		apps = append(apps, composeApp{name, svc, b, flags})
	}
	checkFleetShape(t, apps, gateway)
	// The mocks first, so that the bff finds instances in the registry.
	slices.SortStableFunc(apps, func(a, b composeApp) int { return strings.Compare(b.bin.name, a.bin.name) })
	for _, a := range apps {
		checkComposeApp(t, c, a, reg)
	}
}

func subnetHolds(c composeFile, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	for _, n := range c.Networks {
		for _, cfg := range n.IPAM.Config {
			if p, perr := netip.ParsePrefix(cfg.Subnet); err == nil && perr == nil && p.Contains(addr) {
				return true
			}
		}
	}
	return false
}

func checkComposeApp(t *testing.T, c composeFile, a composeApp, reg etcd) {
	t.Helper()
	b, flags := a.bin, a.flags
	for _, ep := range strings.Split(b.value(flags, "registry"), ",") {
		host, _, err := net.SplitHostPort(ep)
		if s, ok := c.Services[host]; err != nil || !ok || !strings.Contains(s.Image, "etcd") {
			t.Errorf("%s: -registry endpoint %q is not the etcd service", a.name, ep)
		}
	}
	if _, ok := b.flags["advertise"]; ok {
		want := fmt.Sprintf("%s:%d", a.name, portOf(b.value(flags, "addr")))
		if got := b.value(flags, "advertise"); got != want {
			t.Errorf("%s: -advertise %q, want %q (its service name at its gRPC port)", a.name, got, want)
		}
	}
	checkStopGrace(t, a)
	if a.svc.Healthcheck == nil {
		t.Errorf("%s has no healthcheck", a.name)
		return
	}
	checkImageHas(t, a.name, a.svc, a.svc.Healthcheck.Test)
	u, err := url.Parse(a.svc.Healthcheck.Test[len(a.svc.Healthcheck.Test)-1])
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Errorf("%s: healthcheck %q does not ask a loopback URL", a.name, a.svc.Healthcheck.Test)
		return
	}
	var listen string
	for _, f := range flags {
		if isListenFlag(f.name) && fmt.Sprint(portOf(f.value)) == u.Port() {
			listen = f.name
		}
	}
	if listen == "" {
		t.Errorf("%s: healthcheck port %s is none of its listeners", a.name, u.Port())
		return
	}
	run := b.startLocal(t, flags, reg.client)
	if _, err := httpStatus("http://"+run.listen[listen]+u.Path, func(c int) bool { return c == 200 }); err != nil {
		t.Errorf("%s: healthcheck %s: %v", a.name, u.Path, err)
	}
}

// checkImageHas: a healthcheck's program must exist in the image, so the
// service is built from a Dockerfile stage based on a distroless debug image
// (busybox in /busybox) when it runs /busybox/wget.
func checkImageHas(t *testing.T, name string, svc composeService, test []string) {
	t.Helper()
	if len(test) < 2 || test[0] != "CMD" || !strings.HasPrefix(test[1], "/busybox/") {
		t.Errorf("%s: healthcheck %q: want [CMD /busybox/wget ... URL]", name, test)
		return
	}
	raw, err := os.ReadFile(repoRoot + "/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if svc.Build == nil || svc.Build.Target == "" {
		t.Errorf("%s: built without a target, so not from the debug stage", name)
		return
	}
	stage := regexp.MustCompile(`(?mi)^FROM\s+(\S+)\s+AS\s+` + regexp.QuoteMeta(svc.Build.Target) + `\s*$`).FindStringSubmatch(string(raw))
	if stage == nil || !strings.Contains(stage[1], ":debug") {
		t.Errorf("%s: Dockerfile stage %q is not FROM a distroless :debug image (%v)", name, svc.Build.Target, stage)
	}
}

func checkStopGrace(t *testing.T, a composeApp) {
	t.Helper()
	stop, err := time.ParseDuration(a.svc.StopGracePeriod)
	if err != nil {
		stop = 10 * time.Second // compose's default
	}
	if need := shutdownTakes(t, a.bin, a.flags); stop <= need {
		t.Errorf("%s: stop_grace_period %v, not above the %v its shutdown takes", a.name, stop, need)
	}
}

// checkFleetShape: mocksvc ×2 in c1, ×1 in c2 and a canary; two or more bff
// on -registry in c1 that trust exactly the gateway; unique instance ids.
func checkFleetShape(t *testing.T, apps []composeApp, gateway string) {
	t.Helper()
	count := map[string]int{}
	ids := map[string]string{}
	for _, a := range apps {
		id := a.bin.value(a.flags, "instance-id")
		if other, dup := ids[id]; dup || id == "" {
			t.Errorf("%s: -instance-id %q (also %s)", a.name, id, other)
		}
		ids[id] = a.name
		if a.bin.value(a.flags, "registry") == "" {
			t.Errorf("%s: no -registry", a.name)
		}
		switch a.bin.name {
		case "mocksvc":
			color := a.bin.value(a.flags, "color")
			if color == "" {
				color = "baseline"
			}
			count["mocksvc "+color+" "+a.bin.value(a.flags, "cluster")]++
		case "bff":
			count["bff "+a.bin.value(a.flags, "cluster")]++
			if got := a.bin.value(a.flags, "trusted-proxies"); got != gateway+"/32" {
				t.Errorf("%s: -trusted-proxies %q, want only the gateway %s/32", a.name, got, gateway)
			}
		}
	}
	if count["mocksvc baseline c1"] < 2 || count["mocksvc baseline c2"] < 1 || count["mocksvc canary c1"] < 1 || count["bff c1"] < 2 {
		t.Errorf("fleet %v: want mocksvc baseline ×2 in c1 and ×1 in c2, a canary, two bff in c1", count)
	}
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// TestComposeGateway: the gateway mounts the shared template where the nginx
// image renders templates, its environment fills exactly the template's
// placeholders, the upstreams are the bff services at their -addr port, and
// the published port reaches what nginx listens on.
func TestComposeGateway(t *testing.T) {
	c := loadCompose(t)
	gw, ok := c.Services["gateway"]
	if !ok {
		t.Fatal("no gateway service")
	}
	const tmpl = "./deploy/gateway/mosaic.conf.template"
	mounted := false
	for _, v := range gw.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		dst = strings.TrimSuffix(dst, ":ro")
		mounted = mounted || (src == tmpl && strings.HasPrefix(dst, "/etc/nginx/templates/") && strings.HasSuffix(dst, ".conf.template"))
	}
	if !mounted {
		t.Errorf("gateway volumes %q: want %s under /etc/nginx/templates/*.conf.template", gw.Volumes, tmpl)
	}
	raw, err := os.ReadFile(repoRoot + "/" + tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range placeholder.FindAllStringSubmatch(string(raw), -1) {
		if !slices.Contains(want, m[1]) {
			want = append(want, m[1])
		}
	}
	var got []string
	for k := range gw.Environment {
		got = append(got, k)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("gateway environment %v, template placeholders %v", got, want)
	}
	bffs := map[string]bool{}
	for name, s := range c.Services {
		if len(s.Command) > 0 && s.Command[0] == "/bff" {
			i := slices.Index(s.Command, "-addr")
			if i < 0 || i+1 == len(s.Command) {
				t.Fatalf("%s: no -addr in %q", name, s.Command)
			}
			bffs[fmt.Sprintf("%s:%d", name, portOf(s.Command[i+1]))] = true
		}
	}
	for _, k := range want {
		if strings.HasPrefix(k, "BFF_") && !bffs[gw.Environment[k]] {
			t.Errorf("gateway %s=%q is not a bff service at its -addr port (%v)", k, gw.Environment[k], bffs)
		}
		delete(bffs, gw.Environment[k])
	}
	if len(bffs) > 0 {
		t.Errorf("bff replicas %v are not behind the gateway", bffs)
	}
	if n, err := strconv.Atoi(gw.Environment["REPLICA_MAX_CONNS"]); err != nil || n < 1 {
		t.Errorf("gateway REPLICA_MAX_CONNS=%q: want a positive count of requests", gw.Environment["REPLICA_MAX_CONNS"])
	}
	if len(gw.Ports) != 1 || !strings.HasSuffix(gw.Ports[0], ":"+gw.Environment["GATEWAY_LISTEN"]) {
		t.Errorf("gateway publishes %q, nginx listens on %q", gw.Ports, gw.Environment["GATEWAY_LISTEN"])
	}
	// The demo identity (X-Demo-User, after compose turns $$ into $) lets
	// any client be any viewer: the port is published on loopback only.
	if v := gw.Environment["VIEWER_ID"]; v != "$$http_x_demo_user" {
		t.Errorf("gateway VIEWER_ID=%q, want $$http_x_demo_user (compose's escape of nginx's $http_x_demo_user)", v)
	}
	if len(gw.Ports) == 1 && !strings.HasPrefix(gw.Ports[0], "127.0.0.1:") {
		t.Errorf("gateway publishes %q on every interface of the host, with the demo identity; want 127.0.0.1:", gw.Ports[0])
	}
}

// checkFixedAddresses: a fixed address is one no other container can take
// (outside the ip_range the others are given theirs from), and every
// replica the gateway names has one: nginx resolves the names once, at its
// start, so a replica recreated at a new address would be lost to it.
func checkFixedAddresses(t *testing.T, c composeFile) {
	t.Helper()
	var ranges []netip.Prefix
	for _, n := range c.Networks {
		for _, cfg := range n.IPAM.Config {
			if p, err := netip.ParsePrefix(cfg.IPRange); err == nil {
				ranges = append(ranges, p)
			}
		}
	}
	for name, svc := range c.Services {
		ip := svc.ipv4()
		if ip == "" {
			continue
		}
		addr, err := netip.ParseAddr(ip)
		if err != nil || len(ranges) == 0 {
			t.Errorf("%s: fixed address %q, with no ip_range to keep the others off it", name, ip)
			continue
		}
		for _, r := range ranges {
			if r.Contains(addr) {
				t.Errorf("%s: fixed address %s is inside the ip_range %s other containers take theirs from", name, ip, r)
			}
		}
	}
	for _, v := range []string{"BFF_1", "BFF_2"} {
		host, _, err := net.SplitHostPort(c.Services["gateway"].Environment[v])
		if err != nil {
			t.Errorf("gateway %s: %v", v, err)
			continue
		}
		if svc, ok := c.Services[host]; !ok || svc.ipv4() == "" {
			t.Errorf("gateway %s names %s, which has no fixed address", v, host)
		}
	}
}
