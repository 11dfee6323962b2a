package main

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	accountv1 "mosaic/clients/account/v1"
	archivev1 "mosaic/clients/archive/v1"
	relationv1 "mosaic/clients/relation/v1"
	statv1 "mosaic/clients/stat/v1"
	"mosaic/mocks/dataset"
)

// A mocksvc keeps every entity it has generated (a deterministic world,
// generated on first use), so its memory grows with what it has been asked
// until the whole catalogue is in memory. deploy/k8s/mocksvc.yaml's memory
// limit must hold that, or a pod is OOM-killed once enough of the
// catalogue has been asked for (a crawl of /videos/{aid}, or a long
// uptime). The default world is asked for in full, and the peak RSS must
// leave a quarter of the limit to spare.
func TestMocksvcFitsItsKubernetesMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mocksvc and asks it for its whole catalogue (about 10 s)")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("reads RSS from /proc/PID/status (Linux only)")
	}
	limits := manifestMemoryLimitsMiB(t, "../../deploy/k8s/mocksvc.yaml")
	addr, pid := startMocksvc(t) // the default world, as the manifest runs it
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := t.Context()
	world := dataset.Skewed()
	archives, stats := archivev1.NewArchiveServiceClient(conn), statv1.NewStatServiceClient(conn)
	accounts, relations := accountv1.NewAccountServiceClient(conn), relationv1.NewRelationServiceClient(conn)
	each := func(n int, get func(ids []int64) error) {
		for from := 1; from <= n; from += 50 {
			ids := make([]int64, 0, 50)
			for id := from; id < from+50 && id <= n; id++ {
				ids = append(ids, int64(id))
			}
			if err := get(ids); err != nil {
				t.Fatal(err)
			}
		}
	}
	each(world.Archives, func(ids []int64) error {
		if _, err := archives.BatchGetArchives(ctx, &archivev1.BatchGetArchivesRequest{Aids: ids}); err != nil {
			return err
		}
		_, err := stats.BatchGetStats(ctx, &statv1.BatchGetStatsRequest{Aids: ids})
		return err
	})
	each(world.Accounts, func(ids []int64) error {
		if _, err := accounts.BatchGetProfiles(ctx, &accountv1.BatchGetProfilesRequest{Mids: ids}); err != nil {
			return err
		}
		_, err := relations.BatchGetFollowerCounts(ctx, &relationv1.BatchGetFollowerCountsRequest{Mids: ids})
		return err
	})
	peak := procMB(t, pid, "VmHWM")
	t.Logf("mocksvc after %d archives and %d accounts: peak RSS %.0f MiB; the manifest's limits %v MiB", world.Archives, world.Accounts, peak, limits)
	for _, limit := range limits {
		if peak > 0.75*float64(limit) {
			t.Errorf("peak RSS %.0f MiB is over three quarters of the manifest's memory limit, %d MiB", peak, limit)
		}
	}
}

// manifestMemoryLimitsMiB is every container's memory limit in file, which
// writes them as "limits: {..., memory: NMi}".
func manifestMemoryLimitsMiB(t *testing.T, file string) []int {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, m := range regexp.MustCompile(`limits:\s*\{[^}]*memory:\s*(\d+)Mi\b`).FindAllSubmatch(raw, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		out = append(out, n)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no memory limit written as limits: {memory: NMi}", file)
	}
	return out
}
