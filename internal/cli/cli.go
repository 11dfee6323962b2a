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
	"syscall"
	"time"
)

// Run is a binary's whole life: it returns when the work is done or, for a
// server, once ctx is done and it has shut down.
type Run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main runs run under a context that the first SIGINT or SIGTERM cancels,
// starting a graceful shutdown; a second one ends the process at once,
// killed by that signal, after a line on stderr saying so (the operator
// who sent it learns that the shutdown was cut, not finished). It exits
// with ExitCode.
func Main(name string, run Run) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2) // two: a second signal close behind the first is not dropped
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "%s: second signal (%v): exiting at once, the shutdown cut short\n", name, sig)
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

// ExitCode is 0 for a run that succeeded, else 1 with "name: err" on
// stderr.
func ExitCode(name string, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}
