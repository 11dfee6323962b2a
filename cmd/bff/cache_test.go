package main

import (
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"mosaic/bff/server"
)

// cachedReads are the cache of each cached read, as bff_cache_*{cache}
// names it, and its downstream method.
var cachedReads = map[string]string{
	"archive": "archive.BatchGetArchives",
	"account": "account.BatchGetProfiles",
	"stat":    "stat.BatchGetStats",
}

// checkCaches checks the cache series of a run whose requests came one at
// a time, none failing downstream without a scenario and nothing expiring
// meanwhile, and puts what it checked into want: each cache has every
// result series; no ID was shared, served stale, failed or evicted; the IDs
// missed or bypassed are exactly those its method was asked downstream
// (bff_downstream_batch_size_sum); some were hits and some bypassed (a
// scenario request); and its method was called fewer times than the want
// of a BFF without caches.
func checkCaches(t *testing.T, admin string, got, want designMetrics) {
	t.Helper()
	sums := batchSums(t, admin)
	for cache, call := range cachedReads {
		n := func(result string) float64 {
			return got[key("bff_cache_requests_total", "cache", cache, "result", result)]
		}
		for _, zero := range []string{"shared", "stale", "error"} {
			if n(zero) != 0 {
				t.Errorf("%s cache: %v IDs %s, want none", cache, n(zero), zero)
			}
		}
		if e := got[key("bff_cache_evictions_total", "cache", cache)]; e != 0 {
			t.Errorf("%s cache: %v evictions, want none", cache, e)
		}
		if n("miss")+n("bypass") != sums[call] {
			t.Errorf("%s cache: %v missed + %v bypassed IDs, but %v asked downstream", cache, n("miss"), n("bypass"), sums[call])
		}
		if n("hit") < 1 || n("bypass") < 1 {
			t.Errorf("%s cache: %v hits and %v bypassed, want some of each", cache, n("hit"), n("bypass"))
		}
		for k, v := range got {
			if strings.HasPrefix(k, "bff_cache_") && strings.Contains(k, `cache="`+cache+`"`) {
				want[k] = v
			}
		}
		svc, method, _ := strings.Cut(call, ".")
		calls := key("bff_downstream_calls_total", "service", svc, "method", method, "code", "OK")
		if c := got[calls]; c < 1 || c >= want[calls] {
			t.Errorf("%s: %v calls, want from 1 to fewer than the %v of a BFF without caches", call, c, want[calls])
		}
		notMade := want[calls] - got[calls] // served from memory
		for _, k := range []string{calls,
			key("bff_downstream_call_duration_seconds_count", "service", svc, "method", method),
			key("bff_downstream_batch_size_count", "service", svc, "method", method)} {
			want[k] -= notMade
		}
	}
}

// batchSums are the IDs asked downstream by "service.Method", from the sums
// of bff_downstream_batch_size.
func batchSums(t *testing.T, admin string) map[string]float64 {
	t.Helper()
	code, body := get(t, admin+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]float64{}
	for _, m := range fams["bff_downstream_batch_size"].GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		sums[l["service"]+"."+l["method"]] = m.GetHistogram().GetSampleSum()
	}
	return sums
}

// With the caches on, the soft memory limit is their bound plus
// cacheHeadroom; GOMEMLIMIT, or caches off, leave the runtime's own.
func TestSoftMemoryLimitFollowsTheCacheBound(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	c := server.Defaults().Cache
	restore := softMemoryLimit(c, func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != int64(c.MB)<<20+cacheHeadroom {
		t.Errorf("limit %d, want %d MB + headroom", got, c.MB)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("restored %d, want %d", got, before)
	}
	restore = softMemoryLimit(c, func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("GOMEMLIMIT set: limit %d, want the runtime's %d", got, before)
	}
	restore()
	c.On = false
	restore = softMemoryLimit(c, func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("caches off: limit %d, want the runtime's %d", got, before)
	}
	restore()
}

// A cache bound the container cannot hold is refused at start, naming the
// bound that would fit; no limit, or caches off, starts as before.
func TestACacheBoundPastTheContainersLimitIsRefused(t *testing.T) {
	const mib = 1 << 20
	c := server.Defaults().Cache
	c.MB = 512
	limit := func(n uint64, err error) func() (uint64, error) {
		return func() (uint64, error) { return n, err }
	}
	for _, tc := range []struct {
		name  string
		on    bool
		limit func() (uint64, error)
		want  string // "" when it starts
		warn  bool
	}{
		{"fits exactly", true, limit(576*mib, nil), "", false},
		{"a MiB short", true, limit(575*mib, nil), "lower -cache-mb to at most 511", false},
		{"pod of 256Mi", true, limit(256*mib, nil), "limit of 256 MiB", false},
		{"too small for any cache", true, limit(65*mib, nil), "raise the limit (or turn the caches off: -cache=false)", false},
		{"caches off", false, limit(65*mib, nil), "", false},
		{"no limit", true, limit(0, memlimit.ErrNoLimit), "", false},
		{"no cgroup", true, limit(0, memlimit.ErrNoCgroup), "", false},
		{"not linux", true, limit(0, memlimit.ErrCgroupsNotSupported), "", false},
		{"unreadable", true, limit(0, os.ErrPermission), "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			c.On = tc.on
			err := fitsContainer(c, tc.limit, slog.New(slog.NewTextHandler(&logs, nil)))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
			if warned := strings.Contains(logs.String(), "level=WARN"); warned != tc.warn {
				t.Errorf("warned %v, want %v: %s", warned, tc.warn, logs.String())
			}
		})
	}
}
