package clients

// The downstream services, by the short name used in flags, metrics labels
// and X-Mock-Scenario.
const (
	Account  = "account"
	Archive  = "archive"
	Stat     = "stat"
	Relation = "relation"
	Feed     = "feed"
	Reply    = "reply"
)

// Services lists the six downstreams in a fixed order.
func Services() []string { return []string{Account, Archive, Stat, Relation, Feed, Reply} }
