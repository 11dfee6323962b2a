package assemble

import (
	"context"
	"errors"
	"fmt"
	"mosaic/bff/scene"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"mosaic/clients/conn"
)

// ErrNotFound is returned when the entity a scene is about does not exist
// or is hidden.
var ErrNotFound = errors.New("not found")

// ErrPanic marks a step that panicked; its section fails with reason error.
var ErrPanic = errors.New("step panicked")

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
		return scene.ReasonCircuitOpen
	case errors.Is(err, context.DeadlineExceeded):
		return scene.ReasonTimeout
	}
	switch status.Code(err) {
	case codes.Unavailable:
		return scene.ReasonUnavailable
	case codes.DeadlineExceeded:
		return scene.ReasonTimeout
	}
	return scene.ReasonError
}
