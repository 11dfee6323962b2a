// Command bffctl holds mosaic's QA and operator tools.
//
//	bffctl compare [flags] PATH   request one scene for every device, check each
//	                              response against api.openapi.yaml, print which
//	                              fields each device gets and check the mini
//	                              card budget
//	bffctl bench [flags]          measure mosaic against a floor and a naive
//	                              (N+1) BFF over the same mock downstreams:
//	                              throughput, latency percentiles, downstream
//	                              calls, CPU, allocations and memory; writes
//	                              bench.md, bench.json, bench.svg and bench-skewed.svg
//	bffctl overload [flags]       offer open-loop load (vegeta) at 0.5×, 1×, 2×
//	                              and 3× the BFF's measured saturation, the BFF
//	                              pinned apart from its mocks and the load;
//	                              writes overload.md and overload.svg
//
// Run "bffctl help" for the list of subcommands and "bffctl compare -h" for
// their flags.
package main

import "mosaic/internal/cli"

func main() { cli.Main("bffctl", run) }
