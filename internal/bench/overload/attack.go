package overload

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// attackSpec is one load phase as the overload command asks it of its
// load-generator child (the hidden overload-attack subcommand), which runs
// in a process of its own so that it can be pinned away from the BFF.
type attackSpec struct {
	url    string
	header http.Header
	// rate is the open-loop arrival rate per second; 0 means a closed
	// loop of workers, each sending as soon as its previous answer came.
	rate     float64
	workers  int
	duration time.Duration
	timeout  time.Duration
}

// headerFlag collects repeated -header "Name: value" flags.
type headerFlag struct{ h http.Header }

func (f headerFlag) String() string { return "" }

func (f headerFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("%q is not Name: value", s)
	}
	f.h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	return nil
}

// args is the spec as the child's command line.
func (s attackSpec) args() []string {
	a := []string{"-url", s.url, "-rate", strconv.FormatFloat(s.rate, 'f', -1, 64),
		"-workers", strconv.Itoa(s.workers), "-duration", s.duration.String(), "-timeout", s.timeout.String()}
	for k, vs := range s.header {
		for _, v := range vs {
			a = append(a, "-header", k+": "+v)
		}
	}
	return a
}

func parseAttack(args []string, stderr io.Writer) (attackSpec, error) {
	s := attackSpec{header: http.Header{}}
	fs := flag.NewFlagSet("overload-attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.url, "url", "", "URL to load")
	fs.Var(headerFlag{s.header}, "header", "request header `Name: value` (repeatable)")
	fs.Float64Var(&s.rate, "rate", 0, "open-loop requests per second; 0 for a closed loop of -workers")
	fs.IntVar(&s.workers, "workers", 0, "closed-loop workers")
	fs.DurationVar(&s.duration, "duration", time.Second, "how long to send")
	fs.DurationVar(&s.timeout, "timeout", 2*time.Second, "timeout of each request")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	switch {
	case !strings.HasPrefix(s.url, "http://"):
		return s, errors.New("-url must be an http:// URL")
	case s.rate < 0 || (s.rate == 0 && s.workers < 1):
		return s, errors.New("-rate must be positive, or 0 with -workers at least 1")
	case s.duration <= 0 || s.timeout <= 0:
		return s, errors.New("-duration and -timeout must be positive")
	}
	return s, nil
}

// MaxAttackWorkers keeps the generator's goroutines and sockets below the
// machine's open-file limit (20,000 here); see openLoopWorkers.
const MaxAttackWorkers = 15000

// openLoopWorkers is vegeta's worker bound for an open loop. vegeta adds a
// worker whenever every worker is busy at a tick, up to MaxWorkers; once
// that bound binds, the next send waits for an answer and the load is no
// longer open-loop. A request cannot outlive the timeout, so rate ×
// (timeout + slack) workers are never all busy: the bound never binds
// below MaxAttackWorkers. The initial pool covers 50 ms of arrivals so the
// first second does not pay for spawning them one tick at a time.
func openLoopWorkers(rate float64, timeout time.Duration) (initial, bound uint64) {
	bound = uint64(min(math.Ceil(rate*(timeout.Seconds()+0.5)), MaxAttackWorkers))
	initial = min(bound, uint64(max(16, math.Ceil(rate*0.05))))
	return initial, max(bound, 1)
}

// attacker builds the vegeta attacker over a transport of our own, so that
// its connections can be closed when the attack is over. Connections
// (vegeta's idle pool per host) matches the worker bound, so no connection
// is closed after its answer only to be redialled by the next request, and
// MaxConnections stays 0 (no limit), so the HTTP transport never queues a
// request behind another: either would make the load partly closed-loop.
func (s attackSpec) attacker() (*vegeta.Attacker, *http.Transport) {
	initial, bound := uint64(s.workers), uint64(s.workers)
	if s.rate > 0 {
		initial, bound = openLoopWorkers(s.rate, s.timeout)
	}
	tr := &http.Transport{
		DialContext:        (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		DisableCompression: true, // the BFF does not compress; the bench does not ask either
	}
	return vegeta.NewAttacker(
		vegeta.Client(&http.Client{Transport: tr}),
		vegeta.Workers(initial), vegeta.MaxWorkers(bound),
		vegeta.Connections(int(bound)), vegeta.MaxConnections(0),
		vegeta.KeepAlive(true), vegeta.HTTP2(false), vegeta.Redirects(vegeta.NoFollow),
		vegeta.Timeout(s.timeout),
	), tr
}

// pacer is vegeta's constant pacer at s.rate, or its unbounded rate (the
// workers set the pace) for a closed loop. Constant rates are whole
// requests per second.
func (s attackSpec) pacer() vegeta.ConstantPacer {
	if s.rate == 0 {
		return vegeta.ConstantPacer{}
	}
	return vegeta.ConstantPacer{Freq: max(1, int(math.Round(s.rate))), Per: time.Second}
}

// runAttack runs the attack and tallies every result.
func runAttack(ctx context.Context, s attackSpec) AttackSummary {
	atk, tr := s.attacker()
	defer tr.CloseIdleConnections()
	p := s.pacer()
	// vegeta schedules the k-th send (from 0) at (k+1) × interval after
	// the attack began.
	var interval time.Duration
	if p.Freq > 0 {
		interval = time.Duration(int64(p.Per) / int64(p.Freq))
	}
	t := newTally(interval)
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-stopped:
		}
	}()
	tgt := vegeta.Target{Method: http.MethodGet, URL: s.url, Header: s.header}
	for r := range atk.Attack(vegeta.NewStaticTargeter(tgt), p, s.duration, "overload") {
		t.add(r)
	}
	sum := t.summary()
	sum.Rate, sum.Workers = float64(p.Freq), s.workers
	return sum
}

// Attack is the overload-attack subcommand: one phase of load as args
// describe it (attackSpec.args), its summary as one JSON object on stdout.
func Attack(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseAttack(args, stderr)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(runAttack(ctx, s))
}
