package scene

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"mosaic/clients/conn"
)

// Reasons a section is missing, as docs/ARCHITECTURE.md ("Criticality") names them.
const (
	ReasonUnavailable = "unavailable"
	ReasonTimeout     = "timeout"
	ReasonCircuitOpen = "circuit_open"
	ReasonError       = "error"
	// ReasonStale: the section is shown from entries past their freshness
	// bound, because the downstream failed (not a missing section).
	ReasonStale = "stale"
)

// ErrNotFound is returned when the entity a scene is about does not exist
// or is hidden.
var ErrNotFound = errors.New("not found")

// ErrPanic marks a step that panicked; its section fails with reason error.
var ErrPanic = errors.New("step panicked")

// Degraded names a section left out of a scene and why.
type Degraded struct {
	Section string
	Reason  string
}

// Error is a critical step's failure: the scene cannot be served.
type Error struct {
	Section string
	Reason  string
	Err     error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s: %v", e.Section, e.Reason, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf classifies a downstream failure.
func ReasonOf(err error) string {
	switch {
	case errors.Is(err, conn.ErrCircuitOpen):
		return ReasonCircuitOpen
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	}
	switch status.Code(err) {
	case codes.Unavailable:
		return ReasonUnavailable
	case codes.DeadlineExceeded:
		return ReasonTimeout
	}
	return ReasonError
}
