// Package mosaic holds the HTTP contract, api.openapi.yaml, so that the
// server can serve it and the tests can validate every response against it.
package mosaic

import _ "embed"

// OpenAPI is api.openapi.yaml, the source of truth for the public API.
//
//go:embed api.openapi.yaml
var OpenAPI []byte
