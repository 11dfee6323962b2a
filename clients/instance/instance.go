// Package instance describes one running instance of a downstream service as
// discovery knows it, and carries that description on gRPC resolver addresses
// so that the balancer can choose by lane (color) and cluster.
//
// The registry writes an Instance as the JSON value of its key; the resolver
// turns each into a resolver.Address with Address; the balancer reads it back
// with From. See docs/ARCHITECTURE.md ("Service governance").
package instance

import (
	"google.golang.org/grpc/attributes"
	"google.golang.org/grpc/resolver"
)

// Instance is one registered instance of one service.
type Instance struct {
	// Addr is host:port, dialable by the BFF.
	Addr string `json:"addr"`
	// Color is the traffic lane the instance serves; "" is the baseline.
	Color string `json:"color,omitempty"`
	// Cluster and Zone place the instance; the BFF prefers its own cluster.
	Cluster string `json:"cluster,omitempty"`
	Zone    string `json:"zone,omitempty"`
	// Weight is the instance's relative capacity; 0 means 1.
	Weight int `json:"weight,omitempty"`
}

type key struct{}

// Address is the resolver address of i, with i attached as an attribute.
// Two addresses of the same host:port but different lane or cluster are
// different subchannels: a re-registered instance that changed lane is a
// new instance.
func (i Instance) Address() resolver.Address {
	return resolver.Address{Addr: i.Addr, Attributes: attributes.New(key{}, i)}
}

// From returns the Instance attached to a, or one with only its Addr (a
// baseline instance of no cluster) when a came from a resolver that knows
// nothing more, such as static:/// or dns:///.
func From(a resolver.Address) Instance {
	if i, ok := a.Attributes.Value(key{}).(Instance); ok {
		return i
	}
	return Instance{Addr: a.Addr}
}
