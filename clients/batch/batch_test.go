package batch_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"mosaic/clients/batch"
	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

func TestFetchChunksDistinctIDs(t *testing.T) {
	tests := []struct {
		name   string
		ids    []int64
		max    int
		chunks []int
	}{
		{"empty", nil, 50, nil},
		{"duplicates collapse", []int64{1, 1, 2, 2, 3}, 50, []int{3}},
		{"exactly the limit", seq(50), 50, []int{50}},
		{"one over", seq(51), 50, []int{50, 1}},
		{"many", append(seq(120), seq(120)...), 50, []int{50, 50, 20}},
		{"no limit", seq(120), 0, []int{120}},
		{"a negative limit is none", seq(3), -1, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu    sync.Mutex
				sizes []int
			)
			got, err := batch.Fetch(context.Background(), tt.ids, tt.max, func(_ context.Context, ids []int64) (map[int64]int64, error) {
				mu.Lock()
				sizes = append(sizes, len(ids))
				mu.Unlock()
				out := map[int64]int64{}
				for _, id := range ids {
					if id%7 != 0 { // 7, 14, ... do not exist downstream
						out[id] = id * 10
					}
				}
				return out, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(sizes)
			want := slices.Clone(tt.chunks)
			slices.Sort(want)
			if !slices.Equal(sizes, want) {
				t.Errorf("chunk sizes = %v, want %v", sizes, want)
			}
			for _, id := range tt.ids {
				v, ok := got[id]
				if ok == (id%7 == 0) || (ok && v != id*10) {
					t.Errorf("id %d: got %d, %v", id, v, ok)
				}
			}
		})
	}
}

func TestFetchFailsWhenAChunkFails(t *testing.T) {
	boom := errors.New("boom")
	var cancelled atomic.Int32
	_, err := batch.Fetch(context.Background(), seq(101), 50, func(ctx context.Context, ids []int64) (map[int64]int64, error) {
		if ids[0] == 51 {
			return nil, boom
		}
		select { // the failure must cancel the sibling chunks, which run alongside it
		case <-ctx.Done():
			cancelled.Add(1)
			return nil, ctx.Err()
		case <-time.After(5 * time.Second): // a guard against hanging, not a speed bound
			return nil, errors.New("chunk not cancelled by its sibling's failure")
		}
	})
	if !errors.Is(err, boom) || cancelled.Load() != 2 {
		t.Fatalf("err = %v with %d sibling chunks cancelled, want boom and 2", err, cancelled.Load())
	}
}

func seq(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func TestDedupKeepsFirstSeenOrder(t *testing.T) {
	for _, n := range []int{10, 200} { // both the small and the large path
		var ids []int64
		for i := range n {
			ids = append(ids, int64(n-i), int64(n-i)) // descending, each twice
		}
		got := batch.Dedup(ids)
		if len(got) != n || got[0] != int64(n) || got[n-1] != 1 {
			t.Errorf("n=%d: %v", n, got)
		}
	}
	if got := batch.Dedup([]int64{7, 7}); len(got) != 1 || got[0] != 7 { // the shortest repeat
		t.Errorf("Dedup([7 7]) = %v, want [7]", got)
	}
}

// Call sends one request per chunk, built by req, and merges what pick
// takes out of each answer; a failed chunk fails the read.
func TestCallBuildsRequestsAndPicksAnswers(t *testing.T) {
	type request struct{ ids []int64 }
	type response struct{ m map[int64]string }
	var (
		mu   sync.Mutex
		sent [][]int64
	)
	method := func(_ context.Context, r *request, _ ...grpc.CallOption) (*response, error) {
		mu.Lock()
		sent = append(sent, r.ids)
		mu.Unlock()
		m := map[int64]string{}
		for _, id := range r.ids {
			if id != 2 { // absent downstream: absent from the answer
				m[id] = "v"
			}
		}
		return &response{m}, nil
	}
	req := func(ids []int64) *request { return &request{ids} }
	pick := func(r *response) map[int64]string { return r.m }
	got, err := batch.Call(t.Context(), []int64{1, 2, 3, 3}, 2, method, req, pick)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1] != "v" || got[3] != "v" {
		t.Errorf("got %v, want 1 and 3", got)
	}
	slices.SortFunc(sent, func(a, b []int64) int { return int(a[0] - b[0]) })
	if len(sent) != 2 || !slices.Equal(sent[0], []int64{1, 2}) || !slices.Equal(sent[1], []int64{3}) {
		t.Errorf("requests %v, want [1 2] and [3]", sent)
	}
	failing := func(context.Context, *request, ...grpc.CallOption) (*response, error) { return nil, errors.New("down") }
	if _, err := batch.Call(t.Context(), []int64{1}, 2, failing, req, pick); err == nil {
		t.Error("a failed call read as success")
	}
}
