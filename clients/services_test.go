package clients_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"mosaic/clients"
	"mosaic/clients/conn"
	"mosaic/clients/contract"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
)

// Each registry entry names its generated service: the short name is the
// proto package's first segment, the one gRPC method names and so the
// recorder and the mocks see ("/account.v1.AccountService/...").
func TestRegistryNamesItsGeneratedServices(t *testing.T) {
	var names []string
	for _, svc := range clients.All() {
		if svc.Desc == nil {
			t.Fatalf("%s: no gRPC service", svc.Name)
		}
		if pkg, _, _ := strings.Cut(svc.Desc.ServiceName, "."); pkg != svc.Name {
			t.Errorf("%s serves %s, whose package is %q", svc.Name, svc.Desc.ServiceName, pkg)
		}
		if svc.MaxBatch < 1 {
			t.Errorf("%s: batch limit %d", svc.Name, svc.MaxBatch)
		}
		if slices.Contains(names, svc.Name) {
			t.Errorf("%s registered twice", svc.Name)
		}
		names = append(names, svc.Name)
	}
	if !slices.Equal(clients.Services(), names) {
		t.Errorf("Services() = %v, want the registry's %v", clients.Services(), names)
	}
}

// Every service of the registry has a mock server, a client in Set, its
// metrics series, and a client that keeps to its batch limit: a set of IDs
// over the limit goes out in chunks no larger (the mocks reject larger ones).
func TestDialBindsEveryServiceOfTheRegistry(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var rec record.Recorder
	cluster, err := cluster.Start(ctx, dataset.New(1, dataset.Classic()), fakes.Options{Recorder: &rec})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	targets := map[string]string{}
	for _, name := range clients.Services() {
		if cluster.Addr(name) == "" {
			t.Fatalf("the mocks serve no %s", name)
		}
		targets[name] = "static:///" + cluster.Addr(name)
	}
	reg := prometheus.NewRegistry()
	set, closeConns, err := clients.Dial(targets, conn.Options{Metrics: conn.NewMetrics(reg)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConns()

	fields := reflect.ValueOf(set).Elem()
	if fields.NumField() != len(clients.All()) {
		t.Errorf("Set has %d clients for %d services", fields.NumField(), len(clients.All()))
	}
	for i := range fields.NumField() {
		if fields.Field(i).IsNil() {
			t.Errorf("Dial left Set.%s nil", fields.Type().Field(i).Name)
		}
	}
	if got := labels(t, reg, "bff_downstream_throttle_ratio", "service"); !slices.Equal(got, slices.Sorted(slices.Values(clients.Services()))) {
		t.Errorf("throttle series for %v, want one per service %v", got, clients.Services())
	}
	checkBatches(ctx, t, set, &rec)
}

// checkBatches reads one ID over two full batches through every batch read
// of set, and checks each went out as three calls within its service's limit.
func checkBatches(ctx context.Context, t *testing.T, set *clients.Set, rec *record.Recorder) {
	limit := map[string]int{}
	for _, svc := range clients.All() {
		limit[svc.Name] = svc.MaxBatch
	}
	ids := make([]int64, 2*contract.MaxBatch+1)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	reads := map[string]func() error{
		"/account.v1.AccountService/BatchGetProfiles":         func() error { _, err := set.Accounts.Profiles(ctx, ids); return err },
		"/archive.v1.ArchiveService/BatchGetArchives":         func() error { _, err := set.Archives.Archives(ctx, ids); return err },
		"/stat.v1.StatService/BatchGetStats":                  func() error { _, err := set.Stats.Stats(ctx, ids); return err },
		"/relation.v1.RelationService/BatchGetRelations":      func() error { _, err := set.Relations.Relations(ctx, 1, ids); return err },
		"/relation.v1.RelationService/BatchGetFollowerCounts": func() error { _, err := set.Relations.FollowerCounts(ctx, ids); return err },
		"/reply.v1.ReplyService/BatchGetHotReplies":           func() error { _, err := set.Replies.HotReplies(ctx, ids, 3); return err },
	}
	for method, read := range reads {
		rec.Reset()
		if err := read(); err != nil {
			t.Errorf("%s: %v", method, err)
			continue
		}
		service, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), ".")
		var sizes []int
		for _, c := range rec.Calls() {
			if c.Method == method {
				sizes = append(sizes, c.Batch)
			}
		}
		slices.Sort(sizes)
		if want := []int{1, limit[service], limit[service]}; !slices.Equal(sizes, want) {
			t.Errorf("%s: batches %v, want %v", method, sizes, want)
		}
	}
	if _, err := set.Recommender.Recommend(ctx, 1, "web", 1, 10); err != nil {
		t.Errorf("Recommend: %v", err)
	}
}

// labels lists the values of label on the series of the metric name.
func labels(t *testing.T, reg *prometheus.Registry, name, label string) []string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					out = append(out, l.GetValue())
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// The cached services share the bound by their entries' weight: archives
// half, profiles and stats a quarter each, and nothing else takes any.
func TestCacheSharesAreTheDesigns(t *testing.T) {
	want := map[string]float64{clients.Archive: 0.5, clients.Account: 0.25, clients.Stat: 0.25}
	sum := 0.0
	for _, svc := range clients.All() {
		if svc.CacheShare != want[svc.Name] {
			t.Errorf("%s: share %v, want %v", svc.Name, svc.CacheShare, want[svc.Name])
		}
		sum += svc.CacheShare
	}
	if sum != 1 {
		t.Errorf("shares sum to %v, want 1", sum)
	}
}
