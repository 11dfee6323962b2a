// Package mocks holds mosaic's test doubles of its six downstream services,
// split by job, with imports running one way only:
//
//   - dataset: the seeded fake world (archives, stats, accounts, relations,
//     feeds, replies), and the one lock over faker's global state. Imports
//     no other part of mocks.
//   - scenario: what a mock server injects into calls: the x-mock-scenario
//     fault language and a fixed latency. Imports no other part of mocks.
//   - record: the test oracle, recording the calls the servers receive and
//     counting the IDs asked for from the requests themselves. Imports no
//     other part of mocks, and no production code that it checks.
//   - fakes: the gRPC servers over a dataset, in a registry keyed by service
//     name, and the interceptor chain they are built with. Imports dataset,
//     scenario and record.
//   - cluster: every service of the registry on its own loopback server.
//     Imports fakes and dataset.
//   - etcdtest: a throwaway etcd for registry tests. Imports freeport.
//   - freeport: loopback ports for a process to listen on that no
//     connection opened meanwhile can take. Imports no other part of mocks.
//   - binaries: the module's commands, built once per test binary for the
//     tests that run them as processes. Imports no other part of mocks.
//
// cmd/mocksvc serves the same fakes standalone.
package mocks
