package server

import (
	"mosaic/mocks/cluster"
	"mosaic/mocks/scenario"
)

// MockTargets are the gRPC targets of every service of a mock cluster, for
// Deps.Targets in mock mode.
func MockTargets(c *cluster.Cluster) map[string]string { return c.Targets() }

// checkScenario validates X-Mock-Scenario in the mocks' fault language, in
// mock mode only: real services never see the header.
func checkScenario(s string) error {
	_, err := scenario.Parse(s)
	return err
}
