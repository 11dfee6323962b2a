// Command mocksvc serves any subset of mosaic's six faker-backed downstream
// services (mocks/fakes) on one gRPC address, for docker compose,
// multi-instance tests and benches. It honors x-mock-scenario metadata by
// default: it is only ever a mock.
//
//	mocksvc -addr :9000 -services stat,feed -seed 1 -latency 10ms
//
// It serves the Skewed catalogue by default (mocks/dataset: 100,000
// archives, 20,000 accounts, generated per ID on first use, a feed drawn
// from a Zipf popularity); -archives, -accounts and -zipf (0: uniform) shape
// it, and -classic serves instead the world of the in-process mocks and the
// goldens, byte for byte.
//
// With -registry it registers each service it serves in etcd (package
// clients/registry), one key per service under a lease, as an instance of
// lane -color in -cluster and -zone, at -advertise:
//
//	mocksvc -addr :9001 -admin-addr :9101 -registry 127.0.0.1:2379 \
//	        -color canary -cluster c1 -zone z1 -instance-id canary-1
//
// On SIGTERM it deregisters first, then turns its gRPC health NOT_SERVING,
// then finishes the calls in flight, and exits 0. -admin-addr serves
// /metrics (mock_rpc_calls_total and mock_rpc_ids_total, the IDs the batch
// calls asked for, both by {service,method,color,cluster}), /healthz,
// /readyz and /health (POST ?serving=false to fail health checks on purpose).
//
// Every flag falls back to a MOSAIC_ environment variable named after it
// (MOSAIC_ADDR, MOSAIC_SERVICES, MOSAIC_REGISTRY, MOSAIC_INSTANCE_ID, ...).
package main

import "mosaic/internal/cli"

func main() { cli.Main("mocksvc", run) }
