package bff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"mosaic/bff/apitest"
	"mosaic/bff/devices"
	"mosaic/bff/server"
)

// relatedWaitsForRelation holds feed.Related at the mock, once armed,
// until a relation call has arrived or hold has passed: a relation that
// does not need Related's answer arrives while Related is held, one that
// waits for the archives batch (which waits for Related) only after.
type relatedWaitsForRelation struct {
	armed    atomic.Bool
	hold     time.Duration
	once     sync.Once
	relation chan struct{}
}

func (r *relatedWaitsForRelation) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	switch {
	case !r.armed.Load():
	case info.FullMethod == mRelations:
		r.once.Do(func() { close(r.relation) })
	case info.FullMethod == mRelated:
		select {
		case <-r.relation:
		case <-time.After(r.hold):
		}
	}
	return h(ctx, req)
}

// videoCalls requests a video on mini (filling the cache with it and its
// first related), then, armed, on web (whose related are more: they need
// an archives batch), and returns the web request's calls.
func videoCalls(t *testing.T, cache *server.Cache) map[string]time.Time {
	t.Helper()
	// With the caches on, the relation ends the hold as soon as it
	// arrives, however slow the machine. With them off, Related gives up
	// at its budget (the scene's deadline less a call timeout), the
	// archives batch goes without it, and the relation after that ends
	// the hold.
	r := &relatedWaitsForRelation{hold: time.Second, relation: make(chan struct{})}
	srv := apitest.Start(t, apitest.Options{Cache: cache, Interceptors: []grpc.UnaryServerInterceptor{r.intercept}})
	aid := someVideo(t, srv)
	if resp := srv.Get(t, fmt.Sprintf("/mini/v1/videos/%d", aid), "X-User-Id", "42"); resp.Status != http.StatusOK {
		t.Fatalf("mini: %d", resp.Status)
	}
	srv.Recorder.Reset()
	r.armed.Store(true)
	web := srv.Get(t, fmt.Sprintf("/web/v1/videos/%d", aid), "X-User-Id", "42")
	if web.Status != http.StatusOK {
		t.Fatalf("web: %d %s", web.Status, web.Body)
	}
	// The recorder has only the calls that ended, and a Related the page
	// gave up on ends at the mock later, when the relation or the hold
	// lets it go.
	want := []string{mRelated, mArchives, mRelations}
	var starts map[string]time.Time
	for deadline := time.Now().Add(r.hold + time.Second); ; time.Sleep(10 * time.Millisecond) {
		starts = map[string]time.Time{}
		for _, c := range srv.Recorder.Calls() {
			starts[c.Method] = c.Start
		}
		missing := slices.DeleteFunc(slices.Clone(want), func(m string) bool { _, ok := starts[m]; return ok })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var page struct{ Degraded any }
			_ = json.Unmarshal(web.Body, &page)
			t.Fatalf("%v not called: %v; the page's degraded: %v", missing, slices.Collect(maps.Keys(starts)), page.Degraded)
		}
	}
	return starts
}

// The chain shortens when it can: with the video's archive fresh in
// memory, the relation to its owner starts at once, before the archives
// batch of the related videos is asked; with the caches off it waits for
// that batch, as the dataflow says.
func TestFreshArchiveStartsTheRelationAtOnce(t *testing.T) {
	on := videoCalls(t, nil)
	if !on[mRelations].Before(on[mArchives]) {
		t.Errorf("caches on: the relation started %v after the archives batch, want before", on[mRelations].Sub(on[mArchives]))
	}
	off := videoCalls(t, apitest.NoCache())
	if !off[mRelations].After(off[mArchives]) {
		t.Errorf("caches off: the relation started %v before the archives batch it needs", off[mArchives].Sub(off[mRelations]))
	}
}

// The cached messages are shared between requests: no adapter or scene may
// change them. Every device's every scene, asked twice over in turn with
// the caches on (later requests adapt the messages earlier ones cached),
// gives the bodies of a server without caches.
func TestCachedValuesAreNotChangedByTheAdapters(t *testing.T) {
	// A budget past the machine's stalls: a Related cut at the production
	// 300 ms on one side only would make the bodies differ.
	budget := apitest.Options{Deadline: 3 * time.Second, CallTimeout: 2 * time.Second}
	on := apitest.Start(t, budget)
	budget.Cache = apitest.NoCache()
	off := apitest.Start(t, budget)
	aid, mid := someVideo(t, on), busyUser(t, on)
	headers := [][]string{
		{"X-User-Id", "42", "X-Network", "2g", "Accept-Language", "zh-CN"},
		{"X-User-Id", "7", "X-Network", "wifi", "Accept-Language", "en", "X-Client-Build", "7100000"},
	}
	for round := range 2 {
		for _, dev := range devices.Names() {
			for _, h := range headers {
				for _, path := range []string{"/" + dev + "/v1/feed", fmt.Sprintf("/%s/v1/videos/%d", dev, aid), fmt.Sprintf("/%s/v1/users/%d", dev, mid)} {
					got, want := on.Get(t, path, h...), off.Get(t, path, h...)
					if got.Status != want.Status || string(got.Body) != string(want.Body) {
						t.Errorf("round %d %s %v: cached body differs:\n%.400s\nwant\n%.400s", round, path, h, got.Body, want.Body)
					}
				}
			}
		}
	}
	if on.Recorder.Tally(mArchives).Calls >= off.Recorder.Tally(mArchives).Calls {
		t.Errorf("archive calls: %d with caches, %d without: the caches served nothing", on.Recorder.Tally(mArchives).Calls, off.Recorder.Tally(mArchives).Calls)
	}
}
