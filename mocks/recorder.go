package mocks

import (
	"context"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"mosaic/clients/conn"
)

// Call is one unary call seen by a mock server.
type Call struct {
	Method     string // full method, e.g. "/archive.v1.ArchiveService/BatchGetArchives"
	Start, End time.Time
	Batch      int         // IDs in the request's id list (aids, mids, target_mids); 0 if none
	Metadata   metadata.MD // incoming metadata, copied
	Code       codes.Code  // status code the call ended with
}

// Recorder records every call passing through its Interceptor, so tests can assert
// on call counts, batch sizes, propagated metadata and concurrency (overlapping
// Start..End). The zero value is ready to use.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
}

// batchSize counts the IDs of a request the way the BFF's metrics do.
func batchSize(req any) int {
	n, _ := conn.BatchSize(req)
	return n
}

// Interceptor records the call around everything after it in the chain, so put it
// first to include injected latency in Start..End.
func (r *Recorder) Interceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		c := Call{Method: info.FullMethod, Start: time.Now(), Batch: batchSize(req), Metadata: md.Copy()}
		resp, err := handler(ctx, req)
		c.End, c.Code = time.Now(), status.Code(err)
		r.mu.Lock()
		r.calls = append(r.calls, c)
		r.mu.Unlock()
		return resp, err
	}
}

// Calls returns a copy of the finished calls ordered by Start.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	calls := slices.Clone(r.calls)
	r.mu.Unlock()
	for i := range calls {
		calls[i].Metadata = calls[i].Metadata.Copy()
	}
	slices.SortStableFunc(calls, func(a, b Call) int { return a.Start.Compare(b.Start) })
	return calls
}

// Reset forgets all recorded calls.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}

// Count returns how many finished calls had the full method name method.
func (r *Recorder) Count(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}
