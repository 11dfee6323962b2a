// Command mocksvc serves any subset of mosaic's six faker-backed downstream
// services (package mocks) on one gRPC address, for docker compose and
// multi-instance tests. It honors x-mock-scenario metadata by default: it is
// only ever a mock.
//
//	mocksvc -addr :9000 -services stat,feed -seed 1 -latency 10ms
//
// Every flag falls back to a MOSAIC_ environment variable (MOSAIC_ADDR,
// MOSAIC_SERVICES, MOSAIC_SEED, MOSAIC_LATENCY, MOSAIC_JITTER, MOSAIC_SCENARIOS).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "mocksvc:", err)
		os.Exit(1)
	}
}
