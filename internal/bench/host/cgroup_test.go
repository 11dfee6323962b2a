package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCgroup lays out the files LimitCPU looks for; the kernel's cgroupfs
// creates a new group's files on mkdir, which a test's plain directory
// cannot, so the files it writes are simply created there.
func fakeCgroup(t *testing.T, v2 bool) string {
	t.Helper()
	root := t.TempDir()
	if v2 {
		os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpuset cpu io memory pids"), 0o644)
		return root
	}
	os.MkdirAll(filepath.Join(root, "cpu"), 0o755)
	os.WriteFile(filepath.Join(root, "cpu", "cpu.cfs_quota_us"), []byte("-1"), 0o644)
	return root
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestLimitCPUWritesTheQuota(t *testing.T) {
	root := fakeCgroup(t, true)
	q, err := LimitCPU(root, 4242, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "mosaic-overload-4242", "cpu.max")); got != "5000 10000" {
		t.Errorf("v2 cpu.max %q, want half of a 10 ms period", got)
	}
	if got := read(t, filepath.Join(root, "mosaic-overload-4242", "cgroup.procs")); got != "4242" {
		t.Errorf("v2 cgroup.procs %q", got)
	}
	os.Remove(filepath.Join(q.dir, "cpu.max"))
	os.Remove(filepath.Join(q.dir, "cgroup.procs"))
	if err := q.Remove(); err != nil {
		t.Errorf("remove: %v", err)
	}

	root = fakeCgroup(t, false)
	if _, err := LimitCPU(root, 7, 0.25); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "cpu", "mosaic-overload-7")
	if read(t, filepath.Join(dir, "cpu.cfs_period_us")) != "10000" || read(t, filepath.Join(dir, "cpu.cfs_quota_us")) != "2500" || read(t, filepath.Join(dir, "cgroup.procs")) != "7" {
		t.Error("v1 quota not written as a quarter of a 10 ms period")
	}
}

func TestLimitCPURefusesWhatItCannotDo(t *testing.T) {
	if _, err := LimitCPU(t.TempDir(), 1, 0.5); err == nil || !strings.Contains(err.Error(), "no cgroup CPU controller") {
		t.Errorf("no controller: %v", err)
	}
	for _, share := range []float64{0, -1, 1.5} {
		if _, err := LimitCPU(fakeCgroup(t, true), 1, share); err == nil {
			t.Errorf("share %v accepted", share)
		}
	}
}
