// Package mosaic holds the HTTP contract, api.openapi.yaml, so that the
// server can serve it and the tests can validate every response against it.
package mosaic

import (
	_ "embed"
	"slices"
)

//go:embed api.openapi.yaml
var spec []byte

// OpenAPI is api.openapi.yaml, the source of truth for the public API: a
// copy, so that no importer can change what the others serve and check.
func OpenAPI() []byte { return slices.Clone(spec) }
