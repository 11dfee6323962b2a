package balance

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"

	"mosaic/clients/instance"
)

const ms = int64(time.Millisecond)

var testTuning = tuning{decay: float64(time.Second), unmeasured: 30 * ms, errorPenalty: 250 * ms}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(a), math.Abs(b)) }

func estimate(l *load) float64 { return math.Float64frombits(l.estimate.Load()) }

func TestPeakEWMAJumpsUpAndDecaysOverTime(t *testing.T) {
	tau := testTuning.decay
	l := newLoad(30*ms, 0)
	if got := l.cost(0, tau); !near(got, float64(30*ms)) {
		t.Fatalf("unmeasured cost %v, want 30ms", got)
	}
	// The first answer replaces the guess, even when lower.
	l.observe(5*ms, 5*ms, tau)
	if got := estimate(l); !near(got, float64(5*ms)) {
		t.Fatalf("after a first answer of 5ms: %v, want 5ms", time.Duration(got))
	}
	// A slow answer is believed at once, whatever came before.
	l.observe(200*ms, 10*ms, tau)
	if got := estimate(l); !near(got, float64(200*ms)) {
		t.Fatalf("after a 200ms answer: %v, want 200ms at once", got)
	}
	// A fast answer one time constant later moves it 1-1/e of the way.
	l.observe(2*ms, 10*ms+int64(tau), tau)
	want := 200*float64(ms)/math.E + 2*float64(ms)*(1-1/math.E)
	if got := estimate(l); !near(got, want) {
		t.Fatalf("a fast answer after one decay: %v, want %v", got, want)
	}
	// Many fast answers in a short time barely move it: forgetting goes by
	// time, not by the number of calls.
	m := newLoad(300*ms, 0)
	m.observe(200*ms, 0, tau)
	for i := range int64(100) {
		m.observe(2*ms, i*ms/10, tau) // 100 answers in 10ms
	}
	if got := estimate(m); got < float64(190*ms) {
		t.Errorf("100 fast answers within 10ms pulled a 200ms estimate to %v", time.Duration(got))
	}
}

func TestCostDecaysWhileIdleAndGrowsWithInflight(t *testing.T) {
	tau := testTuning.decay
	l := newLoad(30*ms, 0)
	l.observe(100*ms, 0, tau)
	if got, want := l.cost(int64(2*tau), tau), 100*float64(ms)*math.Exp(-2); !near(got, want) {
		t.Errorf("idle for two decays: cost %v, want %v", got, want)
	}
	l.inflight.Add(3)
	if got := l.cost(0, tau); !near(got, 4*100*float64(ms)) {
		t.Errorf("3 in flight: cost %v, want 4 × the estimate", got)
	}
}

func TestFinishByOutcome(t *testing.T) {
	c := testTuning
	measured := func() *load {
		l := newLoad(c.unmeasured, 0)
		l.observe(10*ms, 0, c.decay)
		l.inflight.Add(1)
		return l
	}
	for _, tc := range []struct {
		name       string
		o          outcome
		start, end int64
		want       float64
	}{
		{"a cut call shorter than the estimate tells nothing", cut, 0, 5 * ms, float64(10 * ms)},
		{"a cut call longer than the estimate raises it", cut, 0, 80 * ms, float64(80 * ms)},
		{"a cut call longer than the estimate decayed raises it", cut, 3000*ms - 5*ms, 3000 * ms, float64(5 * ms)},
		{"a fast failure counts as the penalty", failed, 0, 1 * ms, float64(250 * ms)},
		{"a failure slower than the penalty counts as is", failed, 0, 400 * ms, float64(400 * ms)},
		{"an unsent call records nothing", unsent, 0, 0, float64(10 * ms)},
		{"an answer is observed", answered, 0, 40 * ms, float64(40 * ms)},
	} {
		l := measured()
		l.finish(tc.o, tc.start, tc.end, &c)
		if got := estimate(l); !near(got, tc.want) {
			t.Errorf("%s: estimate %v, want %v", tc.name, time.Duration(got), time.Duration(tc.want))
		}
		if n := l.inflight.Load(); n != 0 {
			t.Errorf("%s: %d still in flight", tc.name, n)
		}
	}
}

// An instance whose handlers hang (it still answers pings, so keepalive
// keeps it) has every call cut at the caller's budget. Its estimate must
// stay near that budget for as long as the cuts go on, even when an old
// answer was slower than the budget: else the old peak decays, the cuts
// below it are ignored, and the picker sends it ever more calls.
func TestCutCallsKeepAHungInstanceSlow(t *testing.T) {
	c := tuning{decay: float64(10 * time.Second), unmeasured: 30 * ms, errorPenalty: 250 * ms}
	l := newLoad(c.unmeasured, 0)
	l.observe(480*ms, 0, c.decay) // a slow answer, once
	now := int64(0)
	for i := range 600 { // then a cut every 100 ms for 60 s, at 300 ms and a little more
		now += 100 * ms
		rtt := 300*ms + int64(i%7)*ms/10
		l.inflight.Add(1)
		l.finish(cut, now-rtt, now, &c)
	}
	if got := l.latency(now, c.decay); got < float64(290*ms) {
		t.Errorf("after 60 s of calls cut at 300ms, 60 s after a 480ms answer, the picker sees %v", time.Duration(got))
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		sent bool
		want outcome
	}{
		{nil, true, answered},
		{nil, false, unsent},
		{status.Error(codes.NotFound, ""), true, answered},
		{status.Error(codes.InvalidArgument, ""), true, answered},
		{status.Error(codes.Canceled, ""), true, cut},
		{status.Error(codes.DeadlineExceeded, ""), true, cut},
		{status.FromContextError(context.DeadlineExceeded).Err(), true, cut},
		{status.Error(codes.Unavailable, ""), false, failed},
		{status.Error(codes.Internal, ""), true, failed},
		{status.Error(codes.ResourceExhausted, ""), true, failed},
		{status.Error(codes.Aborted, ""), true, failed},       // fast failures must not look fast
		{status.Error(codes.Unimplemented, ""), true, failed}, // a wrong build behind the address
		{errors.New("not a status"), true, failed},
	} {
		if got := classify(tc.err, tc.sent); got != tc.want {
			t.Errorf("classify(%v, sent=%v) = %d, want %d", tc.err, tc.sent, got, tc.want)
		}
	}
}

// An instance that fails every call at once, whatever the code of its
// failure (contract.ServerFault), does not look fast and draw the traffic:
// it gets no more than its third while the other two answer in 5 ms, with
// about 10 calls in flight.
func TestAFastFailingInstanceDoesNotDrawTheTraffic(t *testing.T) {
	for _, code := range []codes.Code{codes.Aborted, codes.Unimplemented, codes.Internal} {
		var f fleet
		f.add("bad", instance.Instance{}, connectivity.Ready)
		f.add("ok1", instance.Instance{}, connectivity.Ready)
		f.add("ok2", instance.Instance{}, connectivity.Ready)
		var now int64
		p, _ := newPicker(f.children, "", testTuning, func() int64 { return now })
		type call struct {
			done func(balancer.DoneInfo)
			bad  bool
			end  int64
		}
		var live []call
		calls := map[bool]int{}
		for range 3000 {
			now += ms / 2
			kept := live[:0]
			for _, c := range live {
				if c.end <= now {
					var err error
					if c.bad {
						err = status.Error(code, "")
					}
					c.done(balancer.DoneInfo{Err: err, BytesSent: true})
				} else {
					kept = append(kept, c)
				}
			}
			live = kept
			before := f.pickers["bad"].n.Load()
			res, err := p.Pick(colored(""))
			if err != nil {
				t.Fatal(err)
			}
			bad := f.pickers["bad"].n.Load() > before
			calls[bad]++
			end := now + 5*ms
			if bad {
				end = now + ms/10
			}
			live = append(live, call{res.Done, bad, end})
		}
		share := float64(calls[true]) / 3000
		if share > 0.34 {
			t.Errorf("%v: the failing instance took %.0f%% of the calls, more than its third", code, 100*share)
		}
	}
}
