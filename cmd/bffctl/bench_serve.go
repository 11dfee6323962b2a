package main

import (
	"context"
	"errors"
	"flag"
	"io"

	"mosaic/internal/bench"
)

// benchServe is the hidden subcommand bench re-executes bffctl with to run
// the floor or the naive BFF as a process of its own.
func benchServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench-serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	impl := fs.String("impl", bench.Floor, "floor or naive")
	targetsFlag := fs.String("targets", "", "service=host:port for the six downstreams, comma-separated")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	targets, err := bench.ParseTargets(*targetsFlag)
	if err != nil {
		return err
	}
	return bench.Serve(ctx, *impl, targets, *addr, stdout)
}
