// Package clients holds the downstream contracts (.proto files with their
// generated code, one folder per service) and a typed client per service.
//
// Regenerate with `go generate ./clients` from the repository root. The
// generators are pinned in tools/go.mod, a module of their own so that buf's
// dependencies never leak into mosaic's go.mod.
package clients

//go:generate go tool -modfile=../tools/go.mod buf generate
