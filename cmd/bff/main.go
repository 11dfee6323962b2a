// Command bff is mosaic's server. With no downstream target configured it
// starts the six faker-backed mock services in-process and calls them over
// real gRPC on loopback, so frontends can work before the backends exist.
package main

import "mosaic/internal/cli"

// main is cli's: the first SIGINT or SIGTERM starts a graceful shutdown, a
// second one ends the process at once.
func main() { cli.Main("bff", run) }
