// Package scenario is what the mock servers inject into calls: the faults of
// the x-mock-scenario language ("stat=unavailable,account=delay:300ms"), and
// a fixed latency with jitter. It depends on no other part of mocks.
package scenario

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	"mosaic/clients"
)

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
	MaxLen         = 1024             // bytes
	MaxEntries     = 16               // service=fault entries
	MaxDelay       = 10 * time.Second // the longest delay:D
	MaxTimeoutWait = 30 * time.Second // how long timeout waits when the caller set no deadline
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

// String is the canonical form of s: entries in the order of clients.Services(), comma
// separated, no spaces. Parse(s.String()) equals s for any parsed s.
// Entries for names that are not services are left out.
func (s Scenario) String() string {
	var b strings.Builder
	for _, name := range clients.Services() {
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

// Parse parses an X-Mock-Scenario value: comma-separated service=fault
// entries, such as
//
//	stat=unavailable, account=delay:300ms, relation=timeout, archive=partial,
//	feed=empty, reply=error:RESOURCE_EXHAUSTED
//
// Whitespace around entries, names and faults is ignored, and so are empty
// entries (as HTTP lists allow). A service may appear once; a delay is in
// (0, MaxDelay]; an error code is a canonical upper-case gRPC code name other
// than OK. The value is at most MaxLen bytes and MaxEntries
// entries. An empty value is an empty scenario. Errors name the bad entry.
func Parse(s string) (Scenario, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("mock scenario: %d bytes, more than the limit of %d", len(s), MaxLen)
	}
	var entries []string
	for entry := range strings.SplitSeq(s, ",") {
		if entry = strings.TrimSpace(entry); entry != "" {
			entries = append(entries, entry)
		}
	}
	if len(entries) > MaxEntries {
		return nil, fmt.Errorf("mock scenario: %d entries, more than the limit of %d", len(entries), MaxEntries)
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
	if !slices.Contains(clients.Services(), name) {
		return "", Fault{}, fmt.Errorf("unknown service %q (want one of %s)", name, strings.Join(clients.Services(), ", "))
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
