package scenario_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"mosaic/mocks/scenario"
)

// -mock-jitter spreads the calls' delays uniformly over [latency,
// latency+jitter). Thirty calls at once with a jitter of a second: each
// lands in either half of it with even odds, so both halves hold five or
// more (all but about once in 17,000 runs by chance alone); a jitter not
// added leaves the upper half empty, and one added whole leaves the lower
// half empty. A busy machine only delays calls, and it would take delays
// of hundreds of milliseconds to move five of them across the middle.
func TestLatencyInterceptorSpreadsCallsOverTheJitter(t *testing.T) {
	const latency, jitter, calls = 20 * time.Millisecond, time.Second, 30
	intercept := scenario.LatencyInterceptor(latency, jitter)
	handler := func(context.Context, any) (any, error) { return nil, nil }
	took := make([]time.Duration, calls)
	var wg sync.WaitGroup
	for i := range took {
		wg.Go(func() {
			start := time.Now()
			if _, err := intercept(t.Context(), nil, &grpc.UnaryServerInfo{}, handler); err != nil {
				t.Error(err)
			}
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	low, high := 0, 0
	for _, d := range took {
		switch {
		case d < latency:
			t.Errorf("a call took %v, less than the latency %v", d, latency)
		case d < latency+jitter/2:
			low++
		default:
			high++
		}
	}
	if low < 5 || high < 5 {
		t.Errorf("of %d calls, %d took under %v and %d more: want the jitter to spread them (%v)", calls, low, latency+jitter/2, high, took)
	}
}
