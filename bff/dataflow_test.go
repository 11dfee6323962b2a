package bff_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"

	"mosaic/bff/apitest"
	"mosaic/mocks/record"
)

// slow adds extra latency to one method at the mock servers, so that a test
// can tell "waits for its inputs" from "waits for everything before it".
func slow(method string, d time.Duration) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == method {
			time.Sleep(d)
		}
		return h(ctx, req)
	}
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
// HotReplies is made slow: Archives, Stats and the Relation to the owner do
// not wait for it; Profiles does (repliers' profiles ride in its batch).
func TestVideoDataflow(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{Latency: 20 * time.Millisecond, Interceptors: []grpc.UnaryServerInterceptor{slow(mReplies, 80*time.Millisecond)}})
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
// Stats). The profile is made slow: the uploads do not wait for it.
func TestUserDataflow(t *testing.T) {
	srv := apitest.Start(t, apitest.Options{Latency: 20 * time.Millisecond, Interceptors: []grpc.UnaryServerInterceptor{slow(mProfiles, 80*time.Millisecond)}})
	c := timeline(t, srv, fmt.Sprintf("/web/v1/users/%d", busyUser(t, srv)))
	first := []string{mProfiles, mFollowers, mRelations, mList}
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
