package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"mosaic/internal/bench"
	"mosaic/internal/bench/overload"
)

// command is one bffctl subcommand. args starts after the subcommand's name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// hidden commands are internal plumbing, left out of the usage.
	hidden bool
}

// commands lists the subcommands by name; add new tools here.
func commands(getenv func(string) string) map[string]command {
	_ = getenv // no subcommand reads the environment yet
	return map[string]command{
		"compare": {
			summary: "request a scene for every device, validate each against the spec, diff fields, check the mini card budget",
			run:     parsed(parseCompare, compare),
		},
		"bench": {
			summary: "measure mosaic against a floor and a naive BFF over the same mock downstreams: throughput, latency, calls, CPU, allocations, memory",
			run:     parsed(parseBench, bench.Run),
		},
		// bench-serve runs the floor or the naive BFF as bench's child process.
		"bench-serve": {run: benchServe, hidden: true},
		"overload": {
			summary: "offer open-loop load at multiples of the BFF's saturation (pinned apart from its mocks and the load): goodput, p50/p99, shed and failed answers, breaker activity",
			run:     parsed(parseOverload, overload.Run),
		},
		// overload-attack is overload's load generator, in a process of its
		// own; its flags are the wire format between the two (package overload).
		"overload-attack": {run: overload.Attack, hidden: true},
	}
}

// parsed is a subcommand whose flags parse into a C that run takes; -h
// prints the flags and succeeds.
func parsed[C any](parse func([]string, io.Writer) (C, error), run func(context.Context, C, io.Writer, io.Writer) error) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cfg, err := parse(args, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil {
			return err
		}
		return run(ctx, cfg, stdout, stderr)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmds := commands(getenv)
	if len(args) < 2 {
		usage(stderr, cmds)
		return errors.New("no subcommand")
	}
	name := args[1]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(stdout, cmds)
		return nil
	}
	cmd, ok := cmds[name]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown subcommand %q", name)
	}
	return cmd.run(ctx, args[2:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: bffctl <subcommand> [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "subcommands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	names := make([]string, 0, len(cmds))
	for name, cmd := range cmds {
		if cmd.hidden {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", name, cmds[name].summary)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "bffctl <subcommand> -h" for its flags.`)
}
