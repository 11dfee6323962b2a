package bff_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"mosaic/bff/apitest"
	"mosaic/mocks/record"
)

// meetCap bounds how long meet holds a call: a chain that never sends
// what a call waits for (a wrong dataflow) still ends, well within the
// tests' call timeout, and then shows as a missing overlap.
const meetCap = 2 * time.Second

// meet holds each call of the methods in waits at the mock until every
// method it lists has arrived too (or meetCap passed). Two steps that run
// side by side then overlap however late the scheduler starts either,
// where a fixed sleep only makes them likely to: a call held until another
// one arrives proves that the other did not wait for it.
func meet(waits map[string][]string) grpc.UnaryServerInterceptor {
	var mu sync.Mutex
	arrived := map[string]bool{}
	changed := make(chan struct{}) // closed and replaced at each arrival
	ready := func(method string) (bool, <-chan struct{}) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range waits[method] {
			if !arrived[m] {
				return false, changed
			}
		}
		return true, nil
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		mu.Lock()
		arrived[info.FullMethod] = true
		close(changed)
		changed = make(chan struct{})
		mu.Unlock()
		limit := time.NewTimer(meetCap)
		defer limit.Stop()
		for {
			ok, next := ready(info.FullMethod)
			if ok {
				return h(ctx, req)
			}
			select {
			case <-next:
			case <-limit.C:
				return h(ctx, req)
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		}
	}
}

// dataflow runs a topology whose calls meet as waits says, with deadlines
// far above meetCap: the holds are the test's, not the services'.
func dataflow(t *testing.T, waits map[string][]string) *apitest.Server {
	return apitest.Start(t, apitest.Options{
		Deadline:     4 * meetCap,
		CallTimeout:  2 * meetCap,
		Interceptors: []grpc.UnaryServerInterceptor{meet(waits)},
	})
}

// timeline requests path and returns the recorded call of each method.
func timeline(t *testing.T, srv *apitest.Server, path string) map[string]record.Call {
	t.Helper()
	srv.Recorder.Reset()
	if resp := srv.Get(t, path, "X-User-Id", "42"); resp.Status != http.StatusOK {
		t.Fatalf("%s: %d", path, resp.Status)
	}
	c := map[string]record.Call{}
	for _, call := range srv.Recorder.Calls() {
		if _, dup := c[call.Method]; dup {
			t.Fatalf("%s called twice", call.Method)
		}
		c[call.Method] = call
	}
	return c
}

// called fails the test if method was not called: every ordering check
// below would pass vacuously on a missing call's zero times.
func called(t *testing.T, c map[string]record.Call, methods ...string) {
	t.Helper()
	for _, m := range methods {
		if _, ok := c[m]; !ok {
			t.Fatalf("%s was not called", m)
		}
	}
}

func startsAfter(t *testing.T, c map[string]record.Call, step, input string) {
	t.Helper()
	called(t, c, step, input)
	if c[step].Start.Before(c[input].End) {
		t.Errorf("%s started before its input %s ended", step, input)
	}
}

func startsBeforeEnd(t *testing.T, c map[string]record.Call, step, other string) {
	t.Helper()
	called(t, c, step, other)
	if !c[step].Start.Before(c[other].End) {
		t.Errorf("%s waited for %s, which it does not need", step, other)
	}
}

// Video: (Related ‖ HotReplies) → (Archives ‖ Stats) → (Profiles ‖ Relation).
// HotReplies is held until Archives, Stats and the Relation to the owner
// have arrived: they do not wait for it; Profiles does (repliers' profiles
// ride in its batch).
func TestVideoDataflow(t *testing.T) {
	srv := dataflow(t, map[string][]string{
		mRelated:  {mReplies},
		mReplies:  {mArchives, mStats, mRelations},
		mArchives: {mStats},
		mStats:    {mArchives},
	})
	c := timeline(t, srv, fmt.Sprintf("/web/v1/videos/%d", someVideo(t, srv)))
	startsBeforeEnd(t, c, mRelated, mReplies)
	startsBeforeEnd(t, c, mReplies, mRelated)
	for _, step := range []string{mArchives, mStats} {
		startsAfter(t, c, step, mRelated)
		startsBeforeEnd(t, c, step, mReplies)
	}
	startsBeforeEnd(t, c, mArchives, mStats)
	startsBeforeEnd(t, c, mStats, mArchives)
	startsAfter(t, c, mProfiles, mArchives)
	startsAfter(t, c, mProfiles, mReplies)
	startsAfter(t, c, mRelations, mArchives)
	startsBeforeEnd(t, c, mRelations, mReplies)
}

// User: (Profile ‖ FollowerCounts ‖ Relation ‖ ListByOwner) → (Archives ‖
// Stats). The first four meet; the profile is held until the uploads have
// arrived too: they do not wait for it.
func TestUserDataflow(t *testing.T) {
	first := []string{mProfiles, mFollowers, mRelations, mList}
	srv := dataflow(t, map[string][]string{
		mProfiles:  {mFollowers, mRelations, mList, mArchives, mStats},
		mFollowers: first,
		mRelations: first,
		mList:      first,
		mArchives:  {mStats},
		mStats:     {mArchives},
	})
	c := timeline(t, srv, fmt.Sprintf("/web/v1/users/%d", busyUser(t, srv)))
	for _, a := range first {
		for _, b := range first {
			if a != b {
				startsBeforeEnd(t, c, a, b)
			}
		}
	}
	for _, step := range []string{mArchives, mStats} {
		startsAfter(t, c, step, mList)
		startsBeforeEnd(t, c, step, mProfiles)
	}
	startsBeforeEnd(t, c, mArchives, mStats)
	startsBeforeEnd(t, c, mStats, mArchives)
}
