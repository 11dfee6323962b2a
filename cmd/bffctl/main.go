// Command bffctl holds mosaic's QA and operator tools.
//
//	bffctl compare [flags] PATH   request one scene for every device, check each
//	                              response against api.openapi.yaml, print which
//	                              fields each device gets and check the mini
//	                              card budget
//
// Run "bffctl help" for the list of subcommands and "bffctl compare -h" for
// their flags.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bffctl:", err)
		os.Exit(1)
	}
}
