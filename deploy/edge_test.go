package deploy

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// kustomization is what deploy/kustomization.yaml holds that the checks need.
type kustomization struct {
	Resources          []string `json:"resources"`
	ConfigMapGenerator []struct {
		Name      string   `json:"name"`
		Namespace string   `json:"namespace"`
		Files     []string `json:"files"`
	} `json:"configMapGenerator"`
}

func loadKustomization(t *testing.T) kustomization {
	t.Helper()
	raw, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(raw, &k); err != nil {
		// apiVersion and kind are the only other fields it may hold.
		var loose struct {
			kustomization
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.UnmarshalStrict(raw, &loose); err != nil {
			t.Fatalf("kustomization.yaml: %v", err)
		}
		k = loose.kustomization
	}
	return k
}

// kubectl apply -k deploy/ applies every manifest of k8s/ (the namespace
// first, though kustomize orders by kind itself), and makes every ConfigMap a pod mounts from files that exist.
func TestKustomizationAppliesTheWholeFleet(t *testing.T) {
	k := loadKustomization(t)
	files, _ := filepath.Glob("k8s/*.y*ml")
	if got := slices.Sorted(slices.Values(k.Resources)); !slices.Equal(got, files) || len(got) == 0 || got[0] != k.Resources[0] {
		t.Errorf("resources %v, want every manifest of k8s/ %v, 00-namespace first", k.Resources, files)
	}
	made := map[string]bool{}
	for _, g := range k.ConfigMapGenerator {
		made[g.Name] = true
		if g.Namespace != "mosaic" {
			t.Errorf("ConfigMap %s in namespace %q, want mosaic", g.Name, g.Namespace)
		}
		for _, f := range g.Files {
			_, path, _ := strings.Cut(f, "=")
			if _, err := os.Stat(path); err != nil {
				t.Errorf("ConfigMap %s: %v", g.Name, err)
			}
		}
	}
	for _, w := range workloads(loadManifests(t)) {
		for _, v := range w.template.Spec.Volumes {
			if cm := v.ConfigMap; cm != nil && !made[cm.Name] {
				t.Errorf("%s mounts ConfigMap %s, which nothing makes", w.name, cm.Name)
			}
		}
	}
}

// checkGatewayContainer checks an nginx container of a pod against the
// gateway config it runs: the config comes from the kustomization's
// ConfigMap of deploy/gateway's template, mounted where the image renders
// templates, with somewhere writable to render it to; its environment fills
// every placeholder; it passes requests to the bff beside it, which listens
// and trusts identity on loopback only (what keeps X-User-Id the
// gateway's); and, rendered with that environment and run, it answers its
// probes and sets the identity itself.
func checkGatewayContainer(t *testing.T, w workload, c corev1.Container) {
	k := loadKustomization(t)
	template := ""
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			if key, path, _ := strings.Cut(f, "="); path == "gateway/mosaic.conf.template" && strings.HasSuffix(key, ".template") {
				template = g.Name
			}
		}
	}
	mounts := map[string]string{} // path → volume
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	volume := map[string]corev1.Volume{}
	for _, v := range w.template.Spec.Volumes {
		volume[v.Name] = v
	}
	if v := volume[mounts["/etc/nginx/templates"]]; v.ConfigMap == nil || v.ConfigMap.Name != template || template == "" {
		t.Errorf("/etc/nginx/templates is not the ConfigMap of gateway/mosaic.conf.template (%q)", template)
	}
	if sc := c.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
		for _, dir := range []string{"/etc/nginx/conf.d", "/tmp"} {
			if v, ok := volume[mounts[dir]]; !ok || v.EmptyDir == nil {
				t.Errorf("read-only root: %s, which the image writes, is no emptyDir", dir)
			}
		}
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	port, err := containerPort(c, "http")
	if err != nil || env["GATEWAY_LISTEN"] != strconv.Itoa(int(port)) {
		t.Errorf("GATEWAY_LISTEN %q, want the http port (%d, %v)", env["GATEWAY_LISTEN"], port, err)
	}
	var bff *corev1.Container
	for i, o := range w.template.Spec.Containers {
		if len(o.Command) == 1 && o.Command[0] == "/bff" {
			bff = &w.template.Spec.Containers[i]
		}
	}
	if bff == nil {
		t.Fatal("no bff beside the gateway")
	}
	arg := func(name string) string {
		for _, a := range bff.Args {
			if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
				return v
			}
		}
		return ""
	}
	addr := arg("addr")
	if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
		t.Errorf("the bff's -addr %q is reachable from outside the pod, past the gateway", addr)
	}
	// One live upstream line, the bff beside it: a second line to the same
	// bff would retry a timed-out request on it, and with max_fails take it
	// out for 5 s after a few slow requests, the pod's only replica.
	if env["BFF_1"] != addr || env["BFF_2"] != addr+" down" || env["REPLICA_MAX_FAILS"] != "0" {
		t.Errorf("upstream lines %q and %q, max_fails %q: want the bff beside it (%q), the second line down, max_fails 0",
			env["BFF_1"], env["BFF_2"], env["REPLICA_MAX_FAILS"], addr)
	}
	sleep := func(c *corev1.Container) int64 {
		if l := c.Lifecycle; l != nil && l.PreStop != nil && l.PreStop.Sleep != nil {
			return l.PreStop.Sleep.Seconds
		}
		return 0
	}
	if g, b := sleep(&c), sleep(bff); g < b || g == 0 {
		t.Errorf("the gateway's preStop sleeps %d s, the bff's %d s: the gateway must take new connections as long as the bff does", g, b)
	}
	for _, cidr := range strings.Split(arg("trusted-proxies"), ",") {
		if _, n, err := net.ParseCIDR(strings.TrimSpace(cidr)); err != nil || !n.IP.IsLoopback() {
			t.Errorf("the bff trusts X-User-Id from %q, beyond the gateway on loopback", cidr)
		}
	}

	up, upAddr := startUpstream(t)
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = v
	}
	gw := freeAddr(t)
	vars["GATEWAY_LISTEN"], vars["BFF_1"] = gw, upAddr
	vars["BFF_2"] = strings.Replace(vars["BFF_2"], addr, upAddr, 1)
	startNginx(t, vars)
	for _, p := range probes(c) {
		if p.probe.HTTPGet == nil {
			t.Errorf("%s probe: want httpGet", p.kind)
			continue
		}
		if code, err := httpStatus("http://"+gw+p.probe.HTTPGet.Path, func(int) bool { return true }); err != nil || code != http.StatusOK {
			t.Errorf("%s probe %s: %d %v", p.kind, p.probe.HTTPGet.Path, code, err)
		}
	}
	// A public edge with no authentication: no client header becomes the
	// viewer, the demo's included.
	gatewayGet(t, gw, "/web/v1/feed", map[string]string{"X-User-Id": "7", "X-Demo-User": "42"})
	if h := up.headers(); len(h) != 1 || h[0].Get("X-User-Id") != "" {
		t.Errorf("a client's X-User-Id 7 with X-Demo-User 42 reached the bff as %v, want no viewer", h)
	}
}
