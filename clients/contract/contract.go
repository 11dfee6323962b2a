// Package contract holds, once, what the BFF and the downstream services
// agree on beyond the .proto files: the gRPC metadata keys the BFF sets on
// its calls (clients/conn), its picker routes on (clients/balance) and the
// services, mocks included, read (mocks/scenario); and the batch limit the
// services enforce (mocks/fakes) and the typed clients split by
// (clients.All).
package contract

// Metadata keys.
const (
	// ColorKey carries a call's traffic lane (X-Color); absent: baseline.
	ColorKey = "x-color"
	// ScenarioKey carries a mock fault scenario (X-Mock-Scenario), in mock
	// mode only; real services never see it.
	ScenarioKey = "x-mock-scenario"
)

// MaxBatch is the most IDs a downstream accepts in one call, and the
// largest page size or count it serves; it rejects more with
// InvalidArgument (docs/ARCHITECTURE.md, "Downstream services").
const MaxBatch = 50
