package host

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// quotaPeriod is the cgroup CPU period in microseconds: short, so that a
// throttled BFF stalls for milliseconds at a time, not for the default
// 100 ms periods that would show up in every percentile.
const quotaPeriod = 10_000

// CPUQuota is a cgroup that holds the BFF to a share of one CPU. On a
// 2-core machine a whole core of BFF saturates at a rate that the load
// generator, on the other core with the mocks, cannot offer three times
// over; a BFF held to part of its core saturates lower, so the generator
// can overdrive it as a separate machine would.
type CPUQuota struct{ dir string }

// LimitCPU moves pid into a new cgroup under root (/sys/fs/cgroup) allowed
// share of one CPU, through cgroup v2's cpu.max or v1's CFS quota.
func LimitCPU(root string, pid int, share float64) (*CPUQuota, error) {
	if share <= 0 || share > 1 {
		return nil, fmt.Errorf("CPU share %v: want (0, 1]", share)
	}
	quota := max(1000, int(share*quotaPeriod))
	name := "mosaic-overload-" + strconv.Itoa(pid)
	var files [][2]string
	dir := filepath.Join(root, name)
	if controllers, err := os.ReadFile(filepath.Join(root, "cgroup.controllers")); err == nil && strings.Contains(string(controllers), "cpu") {
		// v2: the parent must hand the cpu controller down; it may already.
		_ = os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("+cpu"), 0o644)
		files = [][2]string{{"cpu.max", fmt.Sprintf("%d %d", quota, quotaPeriod)}}
	} else if _, err := os.Stat(filepath.Join(root, "cpu", "cpu.cfs_quota_us")); err == nil {
		dir = filepath.Join(root, "cpu", name)
		files = [][2]string{{"cpu.cfs_period_us", strconv.Itoa(quotaPeriod)}, {"cpu.cfs_quota_us", strconv.Itoa(quota)}}
	} else {
		return nil, errors.New("no cgroup CPU controller found under " + root + " (cgroup v2 cpu.max or v1 cpu.cfs_quota_us)")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the BFF's cgroup (run as root): %w", err)
	}
	q := &CPUQuota{dir: dir}
	files = append(files, [2]string{"cgroup.procs", strconv.Itoa(pid)})
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f[0]), []byte(f[1]), 0o644); err != nil {
			return nil, errors.Join(fmt.Errorf("cgroup %s: %w", f[0], err), q.Remove())
		}
	}
	return q, nil
}

// Remove deletes the cgroup; its process must have exited. A nil quota
// has nothing to remove.
func (q *CPUQuota) Remove() error {
	if q == nil {
		return nil
	}
	return os.Remove(q.dir)
}
