// Package cli is the main of every mosaic binary: main calls Main with the
// binary's run, which gets the process's arguments, environment and
// standard streams explicitly, so that tests call run as main does.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Run is a binary's whole life: it returns when the work is done or, for a
// server, once ctx is done and it has shut down.
type Run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main runs run under a context that the first SIGINT or SIGTERM cancels,
// starting a graceful shutdown; a second one ends the process at once,
// killed by that signal, after a line saying so (the operator who sent it
// learns that the shutdown was cut, not finished): in run's own log when
// run asked for it (OnCut), else on stderr. It exits with ExitCode.
func Main(name string, run Run) {
	ctx, cancel := context.WithCancel(context.Background())
	c := &cut{}
	ctx = context.WithValue(ctx, cutKey{}, c)
	sigs := make(chan os.Signal, 2) // two: a second signal close behind the first is not dropped
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		sig := <-sigs
		c.tell(name, sig)
		// The default handling: the process ends killed by sig. Unless it
		// was started with sig ignored (a background job of a script),
		// which Reset restores: then it exits as a shell reports a death
		// by signal.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(sig) == nil {
			time.Sleep(time.Second) // the signal's default handling, if it has one, acts here
		}
		code := 1
		if s, ok := sig.(syscall.Signal); ok {
			code = 128 + int(s)
		}
		os.Exit(code)
	}()
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	cancel()
	os.Exit(ExitCode(name, err, os.Stderr))
}

// cutKey carries, on run's context, the *cut that Main tells a second
// signal through.
type cutKey struct{}

type cut struct {
	mu  sync.Mutex
	say func(os.Signal)
}

// OnCut has say, instead of Main's plain line on stderr, tell that a
// second signal cut the shutdown short: a server whose log is JSON says it
// there, where what reads the log can parse it. say must be quick: the
// process ends a second after calling it, whether it returned or not.
// Under a context not Main's (a test calling run) it does nothing.
func OnCut(ctx context.Context, say func(sig os.Signal)) {
	if c, ok := ctx.Value(cutKey{}).(*cut); ok {
		c.mu.Lock()
		c.say = say
		c.mu.Unlock()
	}
}

func (c *cut) tell(name string, sig os.Signal) {
	c.mu.Lock()
	say := c.say
	c.mu.Unlock()
	if say == nil {
		fmt.Fprintf(os.Stderr, "%s: second signal (%v): exiting at once, the shutdown cut short\n", name, sig)
		return
	}
	said := make(chan struct{})
	go func() {
		defer close(said)
		say(sig)
	}()
	select { // a log writer blocked on a full pipe must not keep the process alive
	case <-said:
	case <-time.After(time.Second):
	}
}

// ExitCode is 0 for a run that succeeded, else 1 with "name: err" on
// stderr.
func ExitCode(name string, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}
