// Package record is the test oracle of the mock servers: it records every
// call they receive, with the IDs the request asked for, and tallies calls
// and IDs per method. It counts from the request message itself, sharing no
// code with the BFF it checks (clients/batch, clients/conn), so a bug in the
// BFF's counting cannot hide in both.
package record

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Call is one unary call seen by a mock server.
type Call struct {
	Method     string // full method, e.g. "/archive.v1.ArchiveService/BatchGetArchives"
	Start, End time.Time
	Batch      int         // len(IDs)
	IDs        []int64     // the IDs the request asked for (see IDs); nil if none
	Metadata   metadata.MD // incoming metadata, copied
	Code       codes.Code  // status code the call ended with
}

// Tally is what a method (or a service) was asked: calls, and IDs over all
// of them.
type Tally struct {
	Calls, IDs int
}

// IDs returns the IDs a request asks for: the elements of its top-level
// repeated int64 fields (aids, mids, target_mids), in field order. Scalars
// such as a viewer's mid or a page's owner are not a batch and are left out;
// a request with no such field (Recommend, ListByOwner) asks for none.
func IDs(req any) []int64 {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	var ids []int64
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !fd.IsList() || (fd.Kind() != protoreflect.Int64Kind && fd.Kind() != protoreflect.Sint64Kind) {
			continue
		}
		list := r.Get(fd).List()
		for j := range list.Len() {
			ids = append(ids, list.Get(j).Int())
		}
	}
	return ids
}

// SplitMethod turns "/stat.v1.StatService/BatchGetStats" into "stat" and
// "BatchGetStats"; it reports false for gRPC's own services (health,
// reflection), which are not traffic.
func SplitMethod(full string) (service, method string, ok bool) {
	svc, method, found := strings.Cut(strings.TrimPrefix(full, "/"), "/")
	if !found || strings.HasPrefix(svc, "grpc.") {
		return "", "", false
	}
	service, _, _ = strings.Cut(svc, ".")
	return service, method, true
}

// Recorder records every call passing through its Interceptor, so tests can
// assert on call counts, IDs requested, propagated metadata and concurrency
// (overlapping Start..End). The zero value is ready to use; it is safe for
// concurrent use.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
}

// Interceptor records the call around everything after it in the chain, so
// put it first to include injected latency in Start..End.
func (r *Recorder) Interceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		ids := IDs(req)
		c := Call{Method: info.FullMethod, Start: time.Now(), Batch: len(ids), IDs: ids, Metadata: md.Copy()}
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
		calls[i].IDs = slices.Clone(calls[i].IDs)
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
func (r *Recorder) Count(method string) int { return r.Tally(method).Calls }

// Tally returns the finished calls of the full method name method, and the
// IDs they asked for.
func (r *Recorder) Tally(method string) Tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t Tally
	for _, c := range r.calls {
		if c.Method == method {
			t.Calls++
			t.IDs += c.Batch
		}
	}
	return t
}

// Services returns the tallies of the finished calls by service short name
// ("archive", "stat"), all methods together.
func (r *Recorder) Services() map[string]Tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]Tally{}
	for _, c := range r.calls {
		if svc, _, ok := SplitMethod(c.Method); ok {
			t := out[svc]
			t.Calls++
			t.IDs += c.Batch
			out[svc] = t
		}
	}
	return out
}
