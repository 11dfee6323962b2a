package instance

import (
	"testing"

	"google.golang.org/grpc/resolver"
)

func TestAddressCarriesTheInstance(t *testing.T) {
	in := Instance{Addr: "127.0.0.1:9000", Color: "canary", Cluster: "c1", Zone: "z1", Weight: 2}
	if got := From(in.Address()); got != in {
		t.Errorf("From(Address) = %+v, want %+v", got, in)
	}
	plain := From(resolver.Address{Addr: "10.0.0.1:9000"})
	if plain != (Instance{Addr: "10.0.0.1:9000"}) || !plain.Baseline() {
		t.Errorf("a plain address: %+v, want a baseline instance with its Addr only", plain)
	}
	other := in
	other.Color = ""
	if in.Address().Equal(other.Address()) {
		t.Error("the same host:port in another lane compares equal")
	}
}
