// Package assemble assembles device-neutral scenes (bff/scene) from the
// downstream services. Each scene is a dataflow (flow.go) whose code reads
// like its row in docs/ARCHITECTURE.md; adapting the result for a device
// happens elsewhere.
package assemble

import "mosaic/clients"

// Service assembles scenes from the six downstream clients.
type Service struct {
	*clients.Set
}
