package mocks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ScenarioMetadataKey is the gRPC metadata key that carries an X-Mock-Scenario
// header from the BFF to the mock downstreams (mock mode only).
const ScenarioMetadataKey = "x-mock-scenario"

// Fault kinds, as written in a scenario: "stat=unavailable", "account=delay:300ms",
// "reply=error:RESOURCE_EXHAUSTED".
const (
	// FaultUnavailable fails the call with Unavailable.
	FaultUnavailable = "unavailable"
	// FaultTimeout holds the call until the caller's deadline (at most
	// MaxTimeoutWait), then fails it with DeadlineExceeded.
	FaultTimeout = "timeout"
	// FaultDelay ("delay:300ms") sleeps Fault.Delay, then serves the call normally.
	FaultDelay = "delay"
	// FaultPartial serves the call, then drops about half of every top-level map
	// and list of the response: see Partial.
	FaultPartial = "partial"
	// FaultEmpty serves the call (so the request is still validated), then clears
	// every top-level map and list of the response.
	FaultEmpty = "empty"
	// FaultError ("error:RESOURCE_EXHAUSTED") fails the call with Fault.Code.
	FaultError = "error"
)

// Limits of a scenario string.
const (
	MaxScenarioLen     = 1024             // bytes
	MaxScenarioEntries = 16               // service=fault entries
	MaxDelay           = 10 * time.Second // the longest delay:D
	MaxTimeoutWait     = 30 * time.Second // how long timeout waits when the caller set no deadline
)

// Fault is what a scenario does to the calls of one service. Delay is set only
// for FaultDelay and Code only for FaultError, so equal faults compare equal.
type Fault struct {
	Kind  string
	Delay time.Duration
	Code  codes.Code
}

// String is the fault as written in a scenario: "unavailable", "delay:300ms",
// "error:RESOURCE_EXHAUSTED".
func (f Fault) String() string {
	switch f.Kind {
	case FaultDelay:
		return f.Kind + ":" + f.Delay.String()
	case FaultError:
		return f.Kind + ":" + codeName(f.Code)
	}
	return f.Kind
}

// Scenario maps a service short name (Account, Archive, Stat, Relation, Feed,
// Reply) to the fault injected into its calls. A service without an entry is
// served normally.
type Scenario map[string]Fault

// String is the canonical form of s: entries in ServiceNames order, comma
// separated, no spaces. ParseScenario(s.String()) equals s for any parsed s.
// Entries for names that are not services are left out.
func (s Scenario) String() string {
	var b strings.Builder
	for _, name := range ServiceNames() {
		f, ok := s[name]
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(f.String())
	}
	return b.String()
}

// codeNames are the canonical names of the gRPC status codes (as in the gRPC
// spec, google.rpc.Code and grpc-gateway), indexed by code.
var codeNames = [...]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("CODE(%d)", uint32(c))
}

// parseCode accepts the canonical name of any code but OK.
func parseCode(name string) (codes.Code, error) {
	for c, n := range codeNames {
		if n == name && c != int(codes.OK) {
			return codes.Code(c), nil
		}
	}
	if name == "" {
		return 0, errors.New("error needs a gRPC code, e.g. error:RESOURCE_EXHAUSTED")
	}
	return 0, fmt.Errorf("unknown gRPC code %q (want one of %s)", name, strings.Join(codeNames[1:], ", "))
}

// ParseScenario parses an X-Mock-Scenario value: comma-separated service=fault
// entries, such as
//
//	stat=unavailable, account=delay:300ms, relation=timeout, archive=partial,
//	feed=empty, reply=error:RESOURCE_EXHAUSTED
//
// Whitespace around entries, names and faults is ignored, and so are empty
// entries (as HTTP lists allow). A service may appear once; a delay is in
// (0, MaxDelay]; an error code is a canonical upper-case gRPC code name other
// than OK. The value is at most MaxScenarioLen bytes and MaxScenarioEntries
// entries. An empty value is an empty scenario. Errors name the bad entry.
func ParseScenario(s string) (Scenario, error) {
	if len(s) > MaxScenarioLen {
		return nil, fmt.Errorf("mock scenario: %d bytes, more than the limit of %d", len(s), MaxScenarioLen)
	}
	var entries []string
	for entry := range strings.SplitSeq(s, ",") {
		if entry = strings.TrimSpace(entry); entry != "" {
			entries = append(entries, entry)
		}
	}
	if len(entries) > MaxScenarioEntries {
		return nil, fmt.Errorf("mock scenario: %d entries, more than the limit of %d", len(entries), MaxScenarioEntries)
	}
	sc := Scenario{}
	for _, entry := range entries {
		name, fault, err := parseEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("mock scenario entry %q: %w", entry, err)
		}
		if _, dup := sc[name]; dup {
			return nil, fmt.Errorf("mock scenario entry %q: service %s is listed twice", entry, name)
		}
		sc[name] = fault
	}
	return sc, nil
}

func parseEntry(entry string) (string, Fault, error) {
	name, spec, ok := strings.Cut(entry, "=")
	if !ok {
		return "", Fault{}, errors.New("want service=fault")
	}
	name, spec = strings.TrimSpace(name), strings.TrimSpace(spec)
	if !slices.Contains(ServiceNames(), name) {
		return "", Fault{}, fmt.Errorf("unknown service %q (want one of %s)", name, strings.Join(ServiceNames(), ", "))
	}
	f, err := parseFault(spec)
	return name, f, err
}

func parseFault(spec string) (Fault, error) {
	kind, arg, hasArg := strings.Cut(spec, ":")
	kind, arg = strings.TrimSpace(kind), strings.TrimSpace(arg)
	switch kind {
	case FaultUnavailable, FaultTimeout, FaultPartial, FaultEmpty:
		if hasArg {
			return Fault{}, fmt.Errorf("fault %s takes no argument, got %q", kind, arg)
		}
		return Fault{Kind: kind}, nil
	case FaultDelay:
		if arg == "" {
			return Fault{}, errors.New("delay needs a duration, e.g. delay:300ms")
		}
		d, err := time.ParseDuration(arg)
		if err != nil {
			return Fault{}, fmt.Errorf("bad delay duration %q (want e.g. 300ms or 1.5s)", arg)
		}
		if d <= 0 || d > MaxDelay {
			return Fault{}, fmt.Errorf("delay %v out of range: want more than 0 and at most %v", d, MaxDelay)
		}
		return Fault{Kind: kind, Delay: d}, nil
	case FaultError:
		c, err := parseCode(arg)
		if err != nil {
			return Fault{}, err
		}
		return Fault{Kind: kind, Code: c}, nil
	}
	return Fault{}, fmt.Errorf("unknown fault %q (want one of unavailable, timeout, delay:DURATION, partial, empty, error:CODE)", spec)
}

// serviceOf maps a full method name to the service's short name by its proto
// package: "/stat.v1.StatService/BatchGetStats" → "stat". Methods of other
// services (health, reflection) give "".
func serviceOf(fullMethod string) string {
	pkg, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), ".")
	if slices.Contains(ServiceNames(), pkg) {
		return pkg
	}
	return ""
}

// incomingScenario returns the x-mock-scenario value of ctx; several values are
// joined with commas, like repeated HTTP headers.
func incomingScenario(ctx context.Context) (string, bool) {
	vals := metadata.ValueFromIncomingContext(ctx, ScenarioMetadataKey)
	if len(vals) == 0 {
		return "", false
	}
	return strings.Join(vals, ","), true
}

// ScenarioInterceptor injects the faults that the call's x-mock-scenario metadata
// (ScenarioMetadataKey) assigns to the service being called; calls without the
// metadata, or whose service has no entry, pass through. An unparsable value
// fails the call with InvalidArgument, whatever service it is for.
//
// It belongs in mock servers only, after any Recorder (so the recorder sees the
// injected code and delay).
func ScenarioInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		raw, ok := incomingScenario(ctx)
		if !ok {
			return handler(ctx, req)
		}
		sc, err := ParseScenario(raw)
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
