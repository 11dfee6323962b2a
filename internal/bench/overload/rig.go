package overload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"mosaic/clients"
	"mosaic/internal/bench/child"
	"mosaic/internal/bench/host"
	"mosaic/internal/bench/workload"
	"mosaic/mocks/dataset"
)

// pinning says where the rig's processes run.
type pinning struct {
	taskset         string // its path; "" when not pinning
	bffCPU, loadCPU string
	Note            string `json:"note"`
}

// choosePinning pins with taskset when asked, found, and there are two
// CPUs to split; otherwise it says why not, for the report.
func choosePinning(want bool, bffCPU, loadCPU string, lookPath func(string) (string, error), ncpu int) pinning {
	switch path, err := lookPath("taskset"); {
	case !want:
		return pinning{Note: "unpinned (-pin=false): the BFF, mocksvc and the load generator share every CPU"}
	case err != nil:
		return pinning{Note: "UNPINNED: taskset not found (apt-get install util-linux); the BFF, mocksvc and the load generator share every CPU"}
	case ncpu < 2:
		return pinning{Note: fmt.Sprintf("UNPINNED: only %d CPU available; the BFF, mocksvc and the load generator share it", ncpu)}
	default:
		return pinning{taskset: path, bffCPU: bffCPU, loadCPU: loadCPU,
			Note: fmt.Sprintf("BFF on CPU %s; mocksvc and the load generator on CPU %s (taskset)", bffCPU, loadCPU)}
	}
}

// command runs path on cpu when pinning.
func (p pinning) command(cpu, path string, args []string) (string, []string) {
	if p.taskset == "" {
		return path, args
	}
	return p.taskset, append([]string{"-c", cpu, path}, args...)
}

// rig is the processes of one overload run: mocksvc, the BFF over it, and
// the binary whose overload-attack subcommand generates the load.
type rig struct {
	cfg        Config
	stderr     io.Writer
	client     *http.Client
	transport  *http.Transport
	pin        pinning
	tmp        string
	self       string
	mocks, bff *child.Child
	gateway    *child.Child // nil without -gateway-max-conns
	quota      *host.CPUQuota
	url        string
	header     http.Header
}

func startRig(ctx context.Context, cfg Config, stderr io.Writer) (*rig, error) {
	transport := &http.Transport{MaxIdleConnsPerHost: 4}
	r := &rig{cfg: cfg, stderr: stderr, transport: transport, client: &http.Client{Transport: transport, Timeout: 10 * time.Second}}
	fail := func(err error) (*rig, error) { return nil, errors.Join(err, r.stop()) }
	var err error
	if r.tmp, err = os.MkdirTemp("", "mosaic-overload-"); err != nil {
		return nil, err
	}
	bffPath, mocksPath, err := binaries(ctx, cfg, r.tmp, stderr)
	if err != nil {
		return fail(err)
	}
	if r.self = cfg.SelfBin; r.self == "" {
		if r.self, err = os.Executable(); err != nil {
			return fail(fmt.Errorf("finding bffctl's own binary to run the load generator: %w", err))
		}
	}
	r.pin = choosePinning(cfg.Pin, cfg.BFFCPU, cfg.LoadCPU, exec.LookPath, runtime.NumCPU())
	fmt.Fprintf(stderr, "overload: %s\n", r.pin.Note)

	path, args := r.pin.command(cfg.LoadCPU, mocksPath, []string{"-addr", "127.0.0.1:0", "-classic", "-latency", cfg.Latency.String(), "-seed", strconv.FormatInt(cfg.Seed, 10)})
	if r.mocks, err = child.Start(ctx, r.client, child.Spec{Name: "mocksvc", Path: path, Args: args, Banner: mocksvcAnnouncement}); err != nil {
		return fail(err)
	}
	args = []string{
		"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-scene-deadline", cfg.Deadline.String(),
		// Viewer 42 must be honored, as behind the real edge.
		"-trusted-proxies", "127.0.0.1/32",
	}
	for _, svc := range clients.Services() {
		args = append(args, "-"+svc+"-target", "static:///"+r.mocks.Base)
	}
	path, args = r.pin.command(cfg.BFFCPU, bffPath, append(args, cfg.BFFFlags...))
	if r.bff, err = child.Start(ctx, r.client, child.Spec{Name: "bff", Path: path, Args: args, Banner: child.MosaicBanner, Ready: child.MosaicReady}); err != nil {
		return fail(err)
	}
	if cfg.BFFShare > 0 {
		if r.quota, err = host.LimitCPU("/sys/fs/cgroup", r.bff.Cmd.Process.Pid, cfg.BFFShare); err != nil {
			return fail(err)
		}
		r.pin.Note += fmt.Sprintf("; the BFF held to %.0f%% of its CPU (cgroup quota)", 100*cfg.BFFShare)
	}
	if r.url, err = r.targetURL(); err != nil {
		return fail(err)
	}
	if cfg.GatewayConns > 0 {
		if err := r.startGateway(ctx); err != nil {
			return fail(err)
		}
	}
	r.header = workload.Header()
	return r, nil
}

// targetURL is the loaded request; the video and user scenes ask for the
// same entities as the bench.
func (r *rig) targetURL() (string, error) {
	scene, _ := workload.Lookup(r.cfg.Scene)
	var e workload.Entities
	if scene.ByID {
		var err error
		if e, err = workload.PickEntities(dataset.New(r.cfg.Seed, dataset.Classic())); err != nil {
			return "", err
		}
	}
	return r.bff.Base + scene.Path(r.cfg.Device, e, r.cfg.PS), nil
}

// mocksvcAnnouncement parses "mocksvc serving stat,... on 127.0.0.1:N (seed 1)".
func mocksvcAnnouncement(c *child.Child) func(string) bool {
	return func(line string) bool {
		_, rest, ok := strings.Cut(line, " on ")
		if !ok || !strings.HasPrefix(line, "mocksvc serving ") {
			return false
		}
		c.Base, _, _ = strings.Cut(rest, " ")
		return c.Base != ""
	}
}

// binaries returns the given cmd/bff and cmd/mocksvc, or builds the
// missing ones from the module in the working directory.
func binaries(ctx context.Context, cfg Config, tmp string, stderr io.Writer) (bff, mocksvc string, err error) {
	bff, mocksvc = cfg.BFFBin, cfg.MocksBin
	var pkgs []string
	if bff == "" {
		bff, pkgs = filepath.Join(tmp, "bff"), append(pkgs, "./cmd/bff")
	}
	if mocksvc == "" {
		mocksvc, pkgs = filepath.Join(tmp, "mocksvc"), append(pkgs, "./cmd/mocksvc")
	}
	if len(pkgs) == 0 {
		return bff, mocksvc, nil
	}
	return bff, mocksvc, child.GoBuild(ctx, tmp, stderr, "overload", "-bff-binary and -mocksvc-binary", pkgs...)
}

// stop ends the gateway, the BFF, then the mocks, and removes the built
// binaries.
func (r *rig) stop() error {
	var err error
	r.transport.CloseIdleConnections()
	for _, c := range []*child.Child{r.gateway, r.bff, r.mocks} {
		if c != nil {
			err = errors.Join(err, c.Stop())
		}
	}
	err = errors.Join(err, r.quota.Remove())
	if r.tmp != "" {
		err = errors.Join(err, os.RemoveAll(r.tmp))
	}
	return err
}

func (r *rig) pids() map[string]int {
	p := map[string]int{"bff": r.bff.Cmd.Process.Pid, "mocksvc": r.mocks.Cmd.Process.Pid}
	if r.gateway != nil {
		p["gateway"] = r.gateway.Cmd.Process.Pid
	}
	return p
}

// startGateway puts nginx between the generator and the BFF, on
// -gateway-cpu, and sends the load to it.
func (r *rig) startGateway(ctx context.Context) error {
	nginx, err := FindNginx(r.cfg.Nginx)
	if err != nil {
		return err
	}
	if r.gateway, err = startGateway(ctx, r.client, nginx, r.tmp, r.bff.Base, r.cfg.GatewayConns, r.pin, r.cfg.GatewayCPU); err != nil {
		return err
	}
	r.url = r.gateway.Base + strings.TrimPrefix(r.url, r.bff.Base)
	where := "unpinned"
	if r.pin.taskset != "" {
		where = "on CPU " + r.cfg.GatewayCPU
	}
	r.pin.Note += fmt.Sprintf("; load through a gateway (nginx, %s) passing the BFF at most %d requests at a time and answering the rest with a 503", where, r.cfg.GatewayConns)
	return nil
}
