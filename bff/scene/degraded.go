package scene

// Reasons a section is missing, as docs/ARCHITECTURE.md ("Criticality") names them.
const (
	ReasonUnavailable = "unavailable"
	ReasonTimeout     = "timeout"
	ReasonCircuitOpen = "circuit_open"
	ReasonError       = "error"
	// ReasonStale: the section is shown from entries past their freshness
	// bound, because the downstream failed (not a missing section).
	ReasonStale = "stale"
)

// Degraded names a section left out of a scene and why.
type Degraded struct {
	Section string
	Reason  string
}
