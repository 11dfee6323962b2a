package reference_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"mosaic/bff/apitest"
	"mosaic/clients"
	"mosaic/dto"
	"mosaic/internal/bench/floor"
	"mosaic/internal/bench/naive"
	"mosaic/internal/bench/reference"
	"mosaic/internal/bench/workload"
	"mosaic/internal/leaktest"
	"mosaic/mocks/cluster"
	"mosaic/mocks/dataset"
	"mosaic/mocks/fakes"
	"mosaic/mocks/record"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

// refTopology is the floor and the naive BFF, in process, over one mock cluster.
type refTopology struct {
	floor, naive string
	rec          *record.Recorder
	data         *dataset.Dataset
	client       *http.Client
}

func startRefs(t *testing.T) *refTopology {
	t.Helper()
	rec := &record.Recorder{}
	data := dataset.Shared(apitest.Seed)
	cluster, err := cluster.Start(t.Context(), data, fakes.Options{Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Stop)
	targets := map[string]string{}
	for _, svc := range clients.Services() {
		targets[svc] = cluster.Addr(svc)
	}
	s, closeConns, err := reference.Dial(targets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeConns)
	floor := httptest.NewServer(reference.Server{Scenes: floor.New(s)})
	t.Cleanup(floor.Close)
	naive := httptest.NewServer(reference.Server{Scenes: naive.New(s)})
	t.Cleanup(naive.Close)
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return &refTopology{floor: floor.URL, naive: naive.URL, rec: rec, data: data, client: &http.Client{Transport: transport}}
}

// get fetches base+path as viewer 42 and counts the downstream calls.
func (rt *refTopology) get(t *testing.T, base, path string) (body []byte, calls int) {
	t.Helper()
	rt.rec.Reset()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-User-Id", "42")
	resp, err := rt.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, resp.StatusCode, body)
	}
	return body, len(rt.rec.Calls())
}

// TestReferenceBFFs checks that floor and naive answer the same data with
// the calls they are meant to make: floor a fixed 5, 6 and 6 whatever the
// page size, naive one per item.
func TestReferenceBFFs(t *testing.T) {
	rt := startRefs(t)
	e, err := workload.PickEntities(rt.data)
	if err != nil {
		t.Fatal(err)
	}
	naiveCalls := map[string][]int{}
	for _, tc := range []struct {
		scene, path string
		floorCalls  int
	}{
		{workload.Feed, "/web/v1/feed?ps=10", 5},
		{workload.Feed, "/web/v1/feed?ps=20", 5},
		{workload.Feed, "/web/v1/feed?ps=50", 5},
		{workload.Video, fmt.Sprintf("/web/v1/videos/%d", e.Aid), 6},
		{workload.User, fmt.Sprintf("/web/v1/users/%d?ps=10", e.Mid), 6},
		{workload.User, fmt.Sprintf("/web/v1/users/%d?ps=50", e.Mid), 6},
	} {
		fb, fc := rt.get(t, rt.floor, tc.path)
		nb, nc := rt.get(t, rt.naive, tc.path)
		if fc != tc.floorCalls {
			t.Errorf("floor %s: %d downstream calls, want %d", tc.path, fc, tc.floorCalls)
		}
		if !bytes.Equal(fb, nb) {
			t.Errorf("floor and naive differ on %s:\nfloor %s\nnaive %s", tc.path, fb, nb)
		}
		if nc <= 2*fc {
			t.Errorf("naive %s: %d calls, not N+1 (floor %d)", tc.path, nc, fc)
		}
		naiveCalls[tc.scene] = append(naiveCalls[tc.scene], nc)
	}
	for _, scene := range []string{workload.Feed, workload.User} {
		c := naiveCalls[scene]
		for i := 1; i < len(c); i++ {
			if c[i] <= c[i-1] {
				t.Errorf("naive %s calls do not grow with ps: %v", scene, c)
			}
		}
	}

	// The feed at ps=10 has ten real cards with stats, owners and relations.
	body, _ := rt.get(t, rt.floor, "/web/v1/feed?ps=10")
	var feed reference.Feed
	if err := json.Unmarshal(body, &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Cards) == 0 || feed.PageSize != 10 {
		t.Fatalf("feed: %d cards, ps %d", len(feed.Cards), feed.PageSize)
	}
	for _, c := range feed.Cards {
		a, ok := rt.data.Archive(c.Aid)
		st, _ := rt.data.Stat(c.Aid)
		if !ok || c.Title != a.GetTitle() || c.Stats == nil || c.Stats.View != st.GetView() || c.Owner.Name == "" || c.Owner.Following == nil {
			t.Errorf("card %+v does not match the dataset", c)
		}
	}
	// Bad input and unknown entities.
	for path, want := range map[string]int{
		"/web/v1/feed?ps=0":        http.StatusBadRequest,
		"/web/v1/videos/x":         http.StatusBadRequest,
		"/web/v1/videos/999999999": http.StatusNotFound,
		"/web/v1/users/999999999":  http.StatusNotFound,
		"/web/v1/nothing":          http.StatusNotFound,
	} {
		for _, base := range []string{rt.floor, rt.naive} {
			resp, err := rt.client.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s%s: %d, want %d", base, path, resp.StatusCode, want)
			}
		}
	}
}

// TestReferenceMatchesMosaic: the floor carries the same information as
// mosaic's web response (the cover URL aside, which mosaic sizes).
func TestReferenceMatchesMosaic(t *testing.T) {
	rt := startRefs(t)
	srv := apitest.Start(t, apitest.Options{})
	e, err := workload.PickEntities(rt.data)
	if err != nil {
		t.Fatal(err)
	}
	noCovers := func(cards []dto.WebCard) {
		for i := range cards {
			cards[i].Cover = dto.URL{}
		}
	}
	for _, tc := range []struct {
		path string
		new  func() any
		norm func(any)
	}{
		{"/web/v1/feed?ps=10", func() any { return &reference.Feed{} }, func(v any) { noCovers(v.(*reference.Feed).Cards) }},
		{fmt.Sprintf("/web/v1/videos/%d", e.Aid), func() any { return &reference.Video{} }, func(v any) {
			x := v.(*reference.Video)
			x.Video.Cover = dto.URL{}
			noCovers(x.Related)
		}},
		{fmt.Sprintf("/web/v1/users/%d?ps=20", e.Mid), func() any { return &reference.User{} }, func(v any) { noCovers(v.(*reference.User).Archives) }},
	} {
		floorBody, _ := rt.get(t, rt.floor, tc.path)
		mosaicResp := srv.Get(t, tc.path, "X-User-Id", "42")
		if mosaicResp.Status != http.StatusOK {
			t.Fatalf("mosaic %s: %d", tc.path, mosaicResp.Status)
		}
		f, m := tc.new(), tc.new()
		if err := json.Unmarshal(floorBody, f); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(mosaicResp.Body, m); err != nil {
			t.Fatal(err)
		}
		tc.norm(f)
		tc.norm(m)
		if !reflect.DeepEqual(f, m) {
			fj, _ := json.Marshal(f)
			mj, _ := json.Marshal(m)
			t.Errorf("%s: floor and mosaic differ\nfloor  %s\nmosaic %s", tc.path, fj, mj)
		}
		// And mosaic's web body is within a few percent of the floor's.
		if d := math.Abs(float64(len(mosaicResp.Body)-len(floorBody))) / float64(len(floorBody)); d > 0.1 {
			t.Errorf("%s: mosaic %d bytes, floor %d", tc.path, len(mosaicResp.Body), len(floorBody))
		}
	}
}
