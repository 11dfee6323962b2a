package scenario

import (
	"cmp"
	"context"
	"math/rand/v2"
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

	"mosaic/clients"
	"mosaic/clients/contract"
)

// serviceOf maps a full method name to the service's short name by its proto
// package: "/stat.v1.StatService/BatchGetStats" → "stat". Methods of other
// services (health, reflection) give "".
func serviceOf(fullMethod string) string {
	pkg, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), ".")
	if slices.Contains(clients.Services(), pkg) {
		return pkg
	}
	return ""
}

// incomingScenario returns the x-mock-scenario value of ctx; several values are
// joined with commas, like repeated HTTP headers.
func incomingScenario(ctx context.Context) (string, bool) {
	vals := metadata.ValueFromIncomingContext(ctx, contract.ScenarioKey)
	if len(vals) == 0 {
		return "", false
	}
	return strings.Join(vals, ","), true
}

// Interceptor injects the faults that the call's x-mock-scenario metadata
// (contract.ScenarioKey) assigns to the service being called; calls without the
// metadata, or whose service has no entry, pass through. An unparsable value
// fails the call with InvalidArgument, whatever service it is for.
//
// It belongs in mock servers only, after any recorder (so the recorder sees the
// injected code and delay).
func Interceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		raw, ok := incomingScenario(ctx)
		if !ok {
			return handler(ctx, req)
		}
		sc, err := Parse(raw)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		svc := serviceOf(info.FullMethod)
		f, ok := sc[svc]
		if !ok {
			return handler(ctx, req)
		}
		return f.apply(ctx, svc, req, handler)
	}
}

func (f Fault) apply(ctx context.Context, svc string, req any, handler grpc.UnaryHandler) (any, error) {
	switch f.Kind {
	case FaultUnavailable:
		return nil, status.Errorf(codes.Unavailable, "mock scenario: %s unavailable", svc)
	case FaultTimeout:
		// Always DeadlineExceeded, even when the caller's deadline reaches the
		// server as a cancellation (RST_STREAM) before its own copy expires.
		wait, cancel := context.WithTimeout(ctx, MaxTimeoutWait)
		defer cancel()
		<-wait.Done()
		return nil, status.Errorf(codes.DeadlineExceeded, "mock scenario: %s timeout", svc)
	case FaultDelay:
		if err := sleep(ctx, f.Delay); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	case FaultError:
		return nil, status.Errorf(f.Code, "mock scenario: %s error %s", svc, codeName(f.Code))
	case FaultPartial, FaultEmpty:
		resp, err := handler(ctx, req)
		if err != nil {
			return resp, err
		}
		m, ok := resp.(proto.Message)
		if !ok {
			return resp, nil
		}
		if f.Kind == FaultPartial {
			return Partial(m), nil
		}
		return Empty(m), nil
	}
	return handler(ctx, req) // a Fault built by hand with an unknown kind
}

// Partial returns a copy of m with about half of every top-level map and list
// field: a map keeps the entries at even positions (0th, 2nd, ...) of its keys in
// ascending order, a list keeps its first half; both round up, so a non-empty
// field keeps at least one entry. Other fields, nested maps and lists, and the
// values themselves are shared with m, which is not modified.
func Partial(m proto.Message) proto.Message { return rebuild(m, true) }

// Empty returns a copy of m with every top-level map and list field cleared and
// the other fields (totals, say) as they were. m is not modified.
func Empty(m proto.Message) proto.Message { return rebuild(m, false) }

// rebuild copies m's top-level fields into a new message of its type, keeping
// half of each map and list (as Partial says) or none of it.
func rebuild(m proto.Message, half bool) proto.Message {
	src := m.ProtoReflect()
	if !src.IsValid() {
		return m
	}
	dst := src.New()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if !half {
				return true
			}
			in := v.Map()
			keys := make([]protoreflect.MapKey, 0, in.Len())
			in.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k)
				return true
			})
			slices.SortFunc(keys, compareKeys)
			out := dst.Mutable(fd).Map()
			for i := 0; i < len(keys); i += 2 {
				out.Set(keys[i], in.Get(keys[i]))
			}
		case fd.IsList():
			if !half {
				return true
			}
			in, out := v.List(), dst.Mutable(fd).List()
			for i := range (in.Len() + 1) / 2 {
				out.Append(in.Get(i))
			}
		default:
			dst.Set(fd, v)
		}
		return true
	})
	return dst.Interface()
}

// compareKeys orders map keys of one type: numbers by value, strings by bytes,
// false before true.
func compareKeys(a, b protoreflect.MapKey) int {
	switch a.Interface().(type) {
	case int32, int64:
		return cmp.Compare(a.Int(), b.Int())
	case uint32, uint64:
		return cmp.Compare(a.Uint(), b.Uint())
	case bool:
		x, y := a.Bool(), b.Bool()
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return strings.Compare(a.String(), b.String())
}

// LatencyInterceptor delays every call by latency plus a uniform [0, jitter),
// returning the context's status early if the caller gives up first. Each
// interceptor has its own jitter source.
func LatencyInterceptor(latency, jitter time.Duration) grpc.UnaryServerInterceptor {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) // jitter need not be reproducible
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		d := latency
		if jitter > 0 {
			mu.Lock()
			d += time.Duration(rng.Int64N(int64(jitter)))
			mu.Unlock()
		}
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// sleep waits d, or returns the status of ctx's end if the caller gives up
// first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	case <-t.C:
		return nil
	}
}
