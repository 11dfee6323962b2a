package conn

import (
	"errors"
	"time"

	"github.com/sony/gobreaker/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrCircuitOpen is returned, without calling the service, while its
// circuit is open (or half-open and already probing).
var ErrCircuitOpen = errors.New("circuit open")

// errCallerDone is reported to the breaker instead of a call's error when
// the caller's context ended first: a scene whose budget an earlier, slower
// step used up must not open the circuit of a healthy service.
var errCallerDone = errors.New("caller's context ended")

// BreakerSettings tune one service's circuit breaker.
type BreakerSettings struct {
	// Failures in a row that open the circuit.
	ConsecutiveFailures uint32
	// Open is how long the circuit stays open before letting probes through.
	Open time.Duration
	// Probes is how many calls half-open lets through; all must succeed
	// to close the circuit.
	Probes uint32
}

// DefaultBreaker opens after 5 failures in a row, probes after 5 s.
func DefaultBreaker() BreakerSettings {
	return BreakerSettings{ConsecutiveFailures: 5, Open: 5 * time.Second, Probes: 3}
}

type breaker struct {
	cb *gobreaker.TwoStepCircuitBreaker[struct{}]
}

func newBreaker(service string, s BreakerSettings) *breaker {
	d := DefaultBreaker()
	if s.ConsecutiveFailures == 0 {
		s.ConsecutiveFailures = d.ConsecutiveFailures
	}
	if s.Open <= 0 {
		s.Open = d.Open
	}
	if s.Probes == 0 {
		s.Probes = d.Probes
	}
	return &breaker{cb: gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         service,
		MaxRequests:  s.Probes,
		Timeout:      s.Open,
		ReadyToTrip:  func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= s.ConsecutiveFailures },
		IsSuccessful: func(err error) bool { return err == nil || !serviceFault(err) },
		// A caller that gave up, or whose own deadline (the scene's) ran
		// out, says nothing about the service.
		IsExcluded: func(err error) bool { return errors.Is(err, errCallerDone) || status.Code(err) == codes.Canceled },
	})}
}

// allow asks to make a call; done reports its outcome.
func (b *breaker) allow() (done func(error), err error) {
	return b.cb.Allow()
}

// serviceFault: the service is failing, not the request. Bad arguments
// or a missing entity must not open the circuit.
func serviceFault(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Internal, codes.ResourceExhausted, codes.Unknown, codes.Aborted, codes.DataLoss:
		return true
	}
	return false
}
