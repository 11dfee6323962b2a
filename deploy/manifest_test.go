package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// object is one decoded document of deploy/k8s.
type object struct {
	file string
	obj  any // a pointer to a k8s.io/api type
}

// newObject is the typed Kubernetes object for apiVersion and kind; a kind the
// manifests have no business using is an error.
func newObject(tm metav1.TypeMeta) (any, error) {
	switch tm.APIVersion + " " + tm.Kind {
	case "v1 Namespace":
		return &corev1.Namespace{}, nil
	case "v1 Service":
		return &corev1.Service{}, nil
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, nil
	case "apps/v1 StatefulSet":
		return &appsv1.StatefulSet{}, nil
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, nil
	case "networking.k8s.io/v1 NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, nil
	}
	return nil, fmt.Errorf("unknown kind %q of apiVersion %q", tm.Kind, tm.APIVersion)
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeStrict decodes a multi-document YAML file into typed objects, failing
// on a duplicate key, an unknown field, a malformed value (a quantity, a
// duration) or an unknown kind.
func decodeStrict(file string, raw []byte) ([]object, error) {
	var out []object
	for i, doc := range docSeparator.Split(string(raw), -1) {
		j, err := yaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i+1, err)
		}
		if string(j) == "null" {
			continue // only comments
		}
		var tm metav1.TypeMeta
		if err := json.Unmarshal(j, &tm); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i+1, err)
		}
		obj, err := newObject(tm)
		if err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i+1, err)
		}
		// The API server's own decoder: unknown fields are errors, and field
		// names match case-sensitively (encoding/json would take
		// "targetport" for targetPort).
		strict, err := sigsjson.UnmarshalStrict(j, obj, sigsjson.DisallowUnknownFields)
		if err = errors.Join(append(strict, err)...); err != nil {
			return nil, fmt.Errorf("%s document %d (%s): %w", file, i+1, tm.Kind, err)
		}
		out = append(out, object{file, obj})
	}
	return out, nil
}

func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob("k8s/*.y*ml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in k8s/ (%v)", err)
	}
	var all []object
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeStrict(f, raw)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, objs...)
	}
	return all
}

// The strict decoder is what the other tests stand on, so it must reject
// what the API server would.
func TestDecodeStrictRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown kind":   "apiVersion: v1\nkind: Pod2\nmetadata: {name: x}\n",
		"unknown field":  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 2}\n",
		"duplicate key":  "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n",
		"bad quantity":   "apiVersion: apps/v1\nkind: Deployment\nspec: {template: {spec: {containers: [{name: a, resources: {limits: {cpu: lots}}}]}}}\n",
		"wrong version":  "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\n",
		"nested unknown": "apiVersion: v1\nkind: Service\nspec: {ports: [{port: 80, targetport: http}]}\n",
	} {
		if _, err := decodeStrict(name, []byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	objs, err := decodeStrict("ok", []byte("# c\n---\napiVersion: v1\nkind: Service\nmetadata: {name: x}\n---\n"))
	if err != nil || len(objs) != 1 {
		t.Errorf("a valid file: %d objects, %v", len(objs), err)
	}
}

// workload is a Deployment or StatefulSet seen through what the checks need.
type workload struct {
	kind, name string
	replicas   int32
	fixed      bool // spec.replicas is set
	template   corev1.PodTemplateSpec
}

func workloads(objs []object) []workload {
	var out []workload
	for _, o := range objs {
		switch w := o.obj.(type) {
		case *appsv1.Deployment:
			out = append(out, workload{"Deployment", w.Name, ptrOr(w.Spec.Replicas, 1), w.Spec.Replicas != nil, w.Spec.Template})
		case *appsv1.StatefulSet:
			out = append(out, workload{"StatefulSet", w.Name, ptrOr(w.Spec.Replicas, 1), w.Spec.Replicas != nil, w.Spec.Template})
		}
	}
	return out
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// selects reports whether a label selector picks pods labelled labels.
func selects(sel map[string]string, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func hasPortName(spec corev1.PodSpec, name string) bool {
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

// TestManifestsFitTogether: every object decodes strictly, lives in the
// mosaic namespace, and what refers to something finds it: Services, the
// PodDisruptionBudget and the NetworkPolicy select pods of some workload and
// name ports those pods have; the HPA scales an existing Deployment whose
// containers all request CPU (utilization is a share of the request).
func TestManifestsFitTogether(t *testing.T) {
	objs := loadManifests(t)
	ws := workloads(objs)
	selected := func(sel map[string]string) []workload {
		var out []workload
		for _, w := range ws {
			if selects(sel, w.template.Labels) {
				out = append(out, w)
			}
		}
		return out
	}
	kinds := map[string]int{}
	for _, o := range objs {
		meta := o.obj.(metav1.Object)
		kinds[fmt.Sprintf("%T", o.obj)]++
		if _, ns := o.obj.(*corev1.Namespace); !ns && meta.GetNamespace() != "mosaic" {
			t.Errorf("%s: %s is in namespace %q, want mosaic", o.file, meta.GetName(), meta.GetNamespace())
		}
		switch v := o.obj.(type) {
		case *corev1.Service:
			targets := selected(v.Spec.Selector)
			if len(targets) == 0 {
				t.Errorf("Service %s selects no workload's pods", v.Name)
			}
			for _, w := range targets {
				for _, p := range v.Spec.Ports {
					if p.TargetPort.StrVal != "" && !hasPortName(w.template.Spec, p.TargetPort.StrVal) {
						t.Errorf("Service %s: %s %s has no port %q", v.Name, w.kind, w.name, p.TargetPort.StrVal)
					}
				}
			}
		case *policyv1.PodDisruptionBudget:
			if len(selected(v.Spec.Selector.MatchLabels)) == 0 {
				t.Errorf("PodDisruptionBudget %s selects no workload's pods", v.Name)
			}
		case *networkingv1.NetworkPolicy:
			targets := selected(v.Spec.PodSelector.MatchLabels)
			if len(targets) == 0 {
				t.Errorf("NetworkPolicy %s selects no workload's pods", v.Name)
			}
			for _, in := range v.Spec.Ingress {
				// Every rule names who may connect: an empty namespace
				// selector (or none) lets any pod of the cluster read the
				// admin port's pprof and QA pages, or assert identity on
				// the public one.
				for _, from := range in.From {
					if ns := from.NamespaceSelector; from.PodSelector == nil && from.IPBlock == nil && (ns == nil || len(ns.MatchLabels)+len(ns.MatchExpressions) == 0) {
						t.Errorf("NetworkPolicy %s admits %v from every namespace", v.Name, in.Ports)
					}
				}
				if len(in.From) == 0 {
					t.Errorf("NetworkPolicy %s admits %v from anywhere", v.Name, in.Ports)
				}
				for _, p := range in.Ports {
					for _, w := range targets {
						if p.Port != nil && p.Port.StrVal != "" && !hasPortName(w.template.Spec, p.Port.StrVal) {
							t.Errorf("NetworkPolicy %s: %s has no port %q", v.Name, w.name, p.Port.StrVal)
						}
					}
				}
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			checkHPA(t, v, ws)
		}
	}
	for _, want := range []string{"*v1.Deployment", "*v1.StatefulSet", "*v1.Service", "*v1.PodDisruptionBudget", "*v2.HorizontalPodAutoscaler"} {
		if kinds[want] == 0 {
			t.Errorf("no %s in k8s/", want)
		}
	}
}

func checkHPA(t *testing.T, h *autoscalingv2.HorizontalPodAutoscaler, ws []workload) {
	t.Helper()
	ref := h.Spec.ScaleTargetRef
	var target *workload
	for i := range ws {
		if ws[i].kind == ref.Kind && ws[i].name == ref.Name && ref.APIVersion == "apps/v1" {
			target = &ws[i]
		}
	}
	if target == nil {
		t.Fatalf("HPA %s scales %s %s, which is not in k8s/", h.Name, ref.Kind, ref.Name)
	}
	cpu := false
	for _, m := range h.Spec.Metrics {
		cpu = cpu || (m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource.Name == corev1.ResourceCPU)
	}
	if !cpu {
		t.Errorf("HPA %s does not scale on CPU", h.Name)
	}
	if min := ptrOr(h.Spec.MinReplicas, 1); min < 2 || min > h.Spec.MaxReplicas {
		t.Errorf("HPA %s: min %d, max %d: want 2 <= min <= max", h.Name, min, h.Spec.MaxReplicas)
	}
	// Each kubectl apply would set the count back, scaling away the pods
	// the autoscaler added under load.
	if target.fixed {
		t.Errorf("HPA %s scales %s %s, which sets spec.replicas too", h.Name, ref.Kind, ref.Name)
	}
	for _, c := range target.template.Spec.Containers {
		if c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("HPA %s: container %s requests no CPU, so utilization is undefined", h.Name, c.Name)
		}
	}
}

// podEnv is what the downward API would give a container: each fieldRef
// variable gets a plausible value.
func podEnv(t *testing.T, c corev1.Container) map[string]string {
	t.Helper()
	fields := map[string]string{"metadata.name": "pod-7d9c5-x2x4q", "status.podIP": "10.244.1.7", "metadata.namespace": "mosaic"}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil:
			v, ok := fields[e.ValueFrom.FieldRef.FieldPath]
			if !ok {
				t.Errorf("container %s: env %s from unexpected field %s", c.Name, e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
			env[e.Name] = v
		default:
			t.Errorf("container %s: env %s from a source the test cannot stand in for", c.Name, e.Name)
		}
	}
	return env
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand does what the kubelet does to args: $(VAR) becomes the container's
// env var. A reference to an undefined variable is an error (the kubelet
// would pass it on literally).
func expand(args []string, env map[string]string) ([]string, error) {
	out := make([]string, len(args))
	var err error
	for i, a := range args {
		out[i] = varRef.ReplaceAllStringFunc(a, func(m string) string {
			name := varRef.FindStringSubmatch(m)[1]
			v, ok := env[name]
			if !ok {
				err = fmt.Errorf("%q refers to $(%s), which the container does not define", a, name)
			}
			return v
		})
	}
	return out, err
}

// containerPort resolves a probe's port (a number or a port name) to the
// container's port number.
func containerPort(c corev1.Container, port string) (int32, error) {
	for _, p := range c.Ports {
		if p.Name == port || strconv.Itoa(int(p.ContainerPort)) == port {
			return p.ContainerPort, nil
		}
	}
	return 0, fmt.Errorf("container %s has no port %q", c.Name, port)
}

// etcdFlags lists the flags of the local etcd binary, for the etcd
// StatefulSet's args. It is Debian's 3.4, older than the image; the flags
// the manifest uses are in both.
func etcdFlags(t *testing.T) map[string]bool {
	t.Helper()
	bin := needTool(t, "etcd", "etcd-server", "/usr/bin/etcd")
	out, _ := exec.Command(bin, "--help").CombinedOutput()
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+--([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if len(flags) < 20 {
		t.Fatalf("etcd --help lists %d flags:\n%s", len(flags), out)
	}
	return flags
}

func checkEtcdContainer(t *testing.T, c corev1.Container, known map[string]bool, local etcd) {
	t.Helper()
	listen := map[int32]string{}
	for _, a := range c.Args {
		name, value, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") || !known[name] {
			t.Errorf("etcd: %q is not a flag of etcd", a)
		}
		if strings.HasPrefix(name, "listen-") {
			for _, u := range strings.Split(value, ",") {
				if pu, err := url.Parse(u); err == nil {
					p, _ := strconv.Atoi(pu.Port())
					listen[int32(p)] = name
				}
			}
		}
	}
	for _, p := range probes(c) {
		if p.probe.HTTPGet == nil {
			t.Errorf("etcd %s probe: want httpGet", p.kind)
			continue
		}
		port, err := containerPort(c, p.probe.HTTPGet.Port.String())
		if err != nil {
			t.Errorf("etcd %s probe: %v", p.kind, err)
			continue
		}
		if listen[port] != "listen-metrics-urls" {
			t.Errorf("etcd %s probe: port %d is not the metrics listener (%v)", p.kind, port, listen)
		}
		// The metrics listener of a real etcd answers the same path; /livez
		// only from 3.4.29, 3.5.11 and 3.6 on (Debian's is 3.4.23), so the
		// image must be 3.6 or later.
		if p.probe.HTTPGet.Path == "/livez" {
			if !imageAtLeast(c.Image, 3, 6) {
				t.Errorf("etcd %s probe: /livez needs etcd 3.6 or later, the image is %s", p.kind, c.Image)
			}
			continue
		}
		if p.kind == "liveness" && p.probe.HTTPGet.Path == "/health" {
			t.Errorf("etcd liveness probe: /health fails while the member has no leader, restarting a quorum's survivors; use /livez")
		}
		if err := checkHTTPPath(local.metrics, p.probe.HTTPGet.Path, true); err != nil {
			t.Errorf("etcd %s probe: %v", p.kind, err)
		}
	}
}

type namedProbe struct {
	kind  string
	probe *corev1.Probe
}

func probes(c corev1.Container) []namedProbe {
	var out []namedProbe
	if c.ReadinessProbe != nil {
		out = append(out, namedProbe{"readiness", c.ReadinessProbe})
	}
	if c.LivenessProbe != nil {
		out = append(out, namedProbe{"liveness", c.LivenessProbe})
	}
	return out
}

// registryHosts checks -registry names members of the etcd StatefulSet
// (name-i.service with i below its replicas) at its client port.
func registryHosts(t *testing.T, who, registry string, ws []workload) {
	t.Helper()
	for _, ep := range strings.Split(registry, ",") {
		host, port, err := net.SplitHostPort(ep)
		ok := false
		for _, w := range ws {
			if w.kind != "StatefulSet" {
				continue
			}
			for i := range w.replicas {
				p, _ := containerPort(w.template.Spec.Containers[0], "client")
				ok = ok || (host == fmt.Sprintf("%s-%d.%s", w.name, i, w.name) && port == strconv.Itoa(int(p)))
			}
		}
		if err != nil || !ok {
			t.Errorf("%s: -registry endpoint %q is no member of an etcd StatefulSet in k8s/", who, ep)
		}
	}
}

// testManifestContainers runs every bff and mocksvc container's command line
// through the binary's own flag parser, starts the binary with it on
// loopback (a local etcd as the registry) and asks each probe's path and
// port of it; checks each probe's port is a container port its listener
// serves, the downward API feeds -instance-id and -advertise, resources are
// set, and shutdown fits: preStop sleep >= -drain and
// terminationGracePeriodSeconds >= preStop + drain + grace.
func testManifestContainers(t *testing.T, bins map[string]*binary) {
	objs := loadManifests(t)
	ws := workloads(objs)
	local := startEtcd(t)
	known := etcdFlags(t)
	seen := map[string]int{}
	for _, w := range ws {
		for _, c := range w.template.Spec.Containers {
			who := w.name + "/" + c.Name
			if strings.Contains(c.Image, "nginx") {
				seen["gateway"]++
				t.Run(who, func(t *testing.T) { checkGatewayContainer(t, w, c) })
				continue
			}
			if len(c.Command) == 1 && c.Command[0] == "etcd" {
				checkEtcdContainer(t, c, known, local)
				seen["etcd"]++
				continue
			}
			if len(c.Command) != 1 || bins[strings.TrimPrefix(c.Command[0], "/")] == nil {
				t.Errorf("%s: command %q is neither /bff, /mocksvc nor etcd, nor an nginx gateway", who, c.Command)
				continue
			}
			b := bins[strings.TrimPrefix(c.Command[0], "/")]
			seen[b.name]++
			t.Run(who, func(t *testing.T) { checkContainer(t, b, w, c, ws, local) })
		}
	}
	if seen["bff"] < 1 || seen["gateway"] < 1 || seen["mocksvc"] < 2 || seen["etcd"] < 1 {
		t.Errorf("containers seen %v: want a bff and its gateway, a mocksvc and a canary mocksvc, and etcd", seen)
	}
}

func checkContainer(t *testing.T, b *binary, w workload, c corev1.Container, ws []workload, reg etcd) {
	env := podEnv(t, c)
	args, err := expand(c.Args, env)
	if err != nil {
		t.Fatal(err)
	}
	flags, err := b.checkCommand(args, env)
	if err != nil {
		t.Fatal(err)
	}
	checkDownwardAPI(t, b, c, flags)
	if r := c.Resources; r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
		t.Errorf("resources %v: want cpu and memory requests and a memory limit", r)
	}
	if reg := b.value(flags, "registry"); reg != "" {
		registryHosts(t, w.name, reg, ws)
	}
	listenPort := map[int32]string{}
	for _, f := range flags {
		if isListenFlag(f.name) {
			listenPort[int32(portOf(f.value))] = f.name
		}
	}
	for _, p := range c.Ports {
		if listenPort[p.ContainerPort] == "" {
			t.Errorf("container port %s (%d) is no listener of %s (%v)", p.Name, p.ContainerPort, b.name, listenPort)
		}
	}
	if c.ReadinessProbe == nil || c.LivenessProbe == nil {
		t.Fatal("want a readiness and a liveness probe")
	}
	// One probe lost to a second's starvation under overload must not take
	// a replica out: its load would fall on the others, which starve next.
	for _, p := range probes(c) {
		does := map[string]string{"readiness": "takes the pod out of its Service", "liveness": "restarts the container"}[p.kind]
		if n := p.probe.FailureThreshold; n == 1 { // 0 is Kubernetes' default, 3
			t.Errorf("%s probe %s at its first miss (failureThreshold %d)", p.kind, does, n)
		}
		if s := p.probe.TimeoutSeconds; s < 2 { // 0 is Kubernetes' default, 1
			t.Errorf("%s probe counts an answer slower than a second as a miss (timeoutSeconds %d)", p.kind, s)
		}
	}
	run := b.startLocal(t, flags, reg.client)
	for _, p := range probes(c) {
		if err := checkProbe(b, c, p, listenPort, run); err != nil {
			t.Errorf("%s probe: %v", p.kind, err)
		}
	}
	checkShutdown(t, b, w, c, flags)
}

func checkProbe(b *binary, c corev1.Container, p namedProbe, listenPort map[int32]string, run local) error {
	var port string
	switch h := p.probe.ProbeHandler; {
	case h.HTTPGet != nil:
		port = h.HTTPGet.Port.String()
	case h.GRPC != nil:
		port = strconv.Itoa(int(h.GRPC.Port))
	default:
		return fmt.Errorf("only httpGet and grpc probes are checked")
	}
	n, err := containerPort(c, port)
	if err != nil {
		return err
	}
	flag := listenPort[n]
	if flag == "" {
		return fmt.Errorf("port %d is no listener of %s", n, b.name)
	}
	addr := run.listen[flag]
	if h := p.probe.HTTPGet; h != nil {
		return checkHTTPPath(addr, h.Path, p.kind == "liveness")
	}
	if flag != "addr" {
		return fmt.Errorf("grpc probe on -%s, not the gRPC listener -addr", flag)
	}
	return grpcServing(addr, ptrOr(p.probe.GRPC.Service, ""))
}

// checkDownwardAPI: -instance-id is the pod name and -advertise the pod IP at
// the gRPC port, both from the downward API.
func checkDownwardAPI(t *testing.T, b *binary, c corev1.Container, flags []flagArg) {
	t.Helper()
	fieldOf := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			fieldOf[e.Name] = e.ValueFrom.FieldRef.FieldPath
		}
	}
	raw := map[string]string{}
	for _, a := range c.Args {
		name, value, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		raw[name] = value
	}
	refersTo := func(flag, field string) bool {
		m := varRef.FindStringSubmatch(raw[flag])
		return m != nil && fieldOf[m[1]] == field
	}
	if !refersTo("instance-id", "metadata.name") {
		t.Errorf("-instance-id=%q is not the pod name from the downward API", raw["instance-id"])
	}
	if _, ok := b.flags["advertise"]; !ok {
		return
	}
	addr := b.value(flags, "advertise")
	if !refersTo("advertise", "status.podIP") || portOf(addr) != portOf(b.value(flags, "addr")) {
		t.Errorf("-advertise=%q is not the pod IP at -addr's port", raw["advertise"])
	}
}

// mocksvcShutdown is cmd/mocksvc's shutdownGrace: how long in-flight calls
// get after SIGTERM, used when the binary has no -grace flag.
const mocksvcShutdown = 5 * time.Second

// bffBeyondGrace is what a bff's shutdown may take at worst besides -drain
// and -grace, each step bounded in cmd/bff: leaving its peers in etcd (3 s,
// serve.go), the admin listener (1 s, serve.go), closing the registry
// client (1 s, discovery.go) and flushing spans to a collector that is
// down (5 s, run.go). A budget without it gets the process killed
// mid-shutdown exactly when etcd or the collector is in trouble.
const bffBeyondGrace = 10 * time.Second

// shutdownTakes is the longest a binary's shutdown may take after SIGTERM.
func shutdownTakes(t *testing.T, b *binary, flags []flagArg) time.Duration {
	t.Helper()
	if _, ok := b.flags["grace"]; !ok {
		return mocksvcShutdown
	}
	took := b.duration(t, flags, "grace") + bffBeyondGrace
	if _, ok := b.flags["drain"]; ok {
		took += b.duration(t, flags, "drain")
	}
	return took
}

func checkShutdown(t *testing.T, b *binary, w workload, c corev1.Container, flags []flagArg) {
	t.Helper()
	var drain, preStop time.Duration
	if _, ok := b.flags["drain"]; ok {
		drain = b.duration(t, flags, "drain")
	}
	if l := c.Lifecycle; l != nil && l.PreStop != nil {
		if l.PreStop.Sleep == nil {
			t.Errorf("preStop is not the sleep action (the image has no shell)")
		} else {
			preStop = time.Duration(l.PreStop.Sleep.Seconds) * time.Second
		}
	}
	if preStop < drain {
		t.Errorf("preStop sleeps %v, less than -drain %v", preStop, drain)
	}
	tgps := time.Duration(ptrOr(w.template.Spec.TerminationGracePeriodSeconds, 30)) * time.Second
	if need := preStop + shutdownTakes(t, b, flags); tgps < need {
		t.Errorf("terminationGracePeriodSeconds %v < preStop %v + the %v its shutdown may take", tgps, preStop, need-preStop)
	}
}

// runAsNonRoot makes the kubelet check the user a container starts as, and
// it can check only a number: an image whose USER is a name ("nonroot")
// with no runAsUser in the manifest never starts (CreateContainerConfigError,
// "image has non-numeric user"). Every such container names its user, and
// the image's USER is a number too, for anyone who runs it without these
// manifests.
func TestNonRootContainersNameANumericUser(t *testing.T) {
	for _, w := range workloads(loadManifests(t)) {
		for _, c := range w.template.Spec.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				continue
			}
			if sc.RunAsUser == nil || *sc.RunAsUser == 0 {
				t.Errorf("%s/%s: runAsNonRoot with no non-zero runAsUser", w.name, c.Name)
			}
		}
	}
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	users := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllSubmatch(raw, -1)
	if len(users) == 0 {
		t.Fatal("Dockerfile: no USER")
	}
	for _, u := range users {
		if !regexp.MustCompile(`^[1-9][0-9]*(:[0-9]+)?$`).Match(u[1]) {
			t.Errorf("Dockerfile: USER %s, want a non-zero uid (uid:gid)", u[1])
		}
	}
}

// imageAtLeast reports whether image's tag (…:vMAJOR.MINOR.PATCH) is at
// least major.minor.
func imageAtLeast(image string, major, minor int) bool {
	_, tag, ok := strings.Cut(image, ":")
	if !ok {
		return false
	}
	parts := strings.SplitN(strings.TrimPrefix(tag, "v"), ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	return err1 == nil && err2 == nil && (ma > major || ma == major && mi >= minor)
}
