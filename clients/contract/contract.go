// Package contract holds, once, what the BFF and the downstream services
// agree on beyond the .proto files: the gRPC metadata keys the BFF sets on
// its calls (clients/conn), its picker routes on (clients/balance) and the
// services, mocks included, read (mocks/scenario); and the batch limit the
// services enforce (mocks/fakes) and the typed clients split by
// (clients.All).
package contract

import "google.golang.org/grpc/codes"

// Metadata keys.
const (
	// ColorKey carries a call's traffic lane (X-Color); absent: baseline.
	ColorKey = "x-color"
	// ScenarioKey carries a mock fault scenario (X-Mock-Scenario), in mock
	// mode only; real services never see it.
	ScenarioKey = "x-mock-scenario"
)

// ValidColor reports whether s can name a lane: 1 to 32 of a-z, 0-9 and
// '-', starting with a letter or digit. The BFF takes no other X-Color, so
// an instance registered under any other color would serve no request.
func ValidColor(s string) bool {
	if s == "" || len(s) > 32 || s[0] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// MaxBatch is the most IDs a downstream accepts in one call, and the
// largest page size or count it serves; it rejects more with
// InvalidArgument (docs/ARCHITECTURE.md, "Downstream services").
const MaxBatch = 50

// ServerFault says whether a call's status code is the server's failure
// rather than an answer about the request: the balancer counts it against
// the instance (so one that fails fast does not look fast and draw the
// traffic), the throttle against the service. Aborted and Unimplemented
// are among them: no read here aborts on contention, and a method the
// server does not have is a wrong build or a stranger behind the address.
// NotFound, InvalidArgument and the like are answers; the caller's own
// Canceled and DeadlineExceeded are neither, and each reader judges those.
func ServerFault(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.Internal, codes.Unknown, codes.ResourceExhausted, codes.DataLoss, codes.Aborted, codes.Unimplemented:
		return true
	}
	return false
}
