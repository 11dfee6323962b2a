package instance

import (
	"encoding/json"
	"testing"

	"google.golang.org/grpc/resolver"
)

func TestAddressCarriesTheInstance(t *testing.T) {
	in := Instance{Addr: "127.0.0.1:9000", Color: "canary", Cluster: "c1", Zone: "z1", Weight: 2}
	if got := From(in.Address()); got != in {
		t.Errorf("From(Address) = %+v, want %+v", got, in)
	}
	plain := From(resolver.Address{Addr: "10.0.0.1:9000"})
	if plain != (Instance{Addr: "10.0.0.1:9000"}) {
		t.Errorf("a plain address: %+v, want a baseline instance (no color) with its Addr only", plain)
	}
	other := in
	other.Color = ""
	if in.Address().Equal(other.Address()) {
		t.Error("the same host:port in another lane compares equal")
	}
}

// The registry's value is the JSON record docs/ARCHITECTURE.md gives,
// {addr, color, cluster, zone, weight}, which other writers (etcdctl, an
// instance not written in Go) produce by hand: the names are the contract,
// not this struct's.
func TestTheRecordIsTheDesignsJSON(t *testing.T) {
	in := Instance{Addr: "10.0.0.7:9000", Color: "canary", Cluster: "c1", Zone: "z1", Weight: 3}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"addr":"10.0.0.7:9000","color":"canary","cluster":"c1","zone":"z1","weight":3}`
	if string(b) != want {
		t.Errorf("written as %s, want %s", b, want)
	}
	if b, _ := json.Marshal(Instance{Addr: "10.0.0.7:9000"}); string(b) != `{"addr":"10.0.0.7:9000"}` {
		t.Errorf("a baseline instance written as %s, want its addr alone", b)
	}
	var got Instance
	byHand := `{"weight": 3, "zone": "z1", "cluster": "c1", "color": "canary", "addr": "10.0.0.7:9000", "version": "v2"}`
	if err := json.Unmarshal([]byte(byHand), &got); err != nil || got != in {
		t.Errorf("a record written by hand, with a field this version does not know, read as %+v (%v), want %+v", got, err, in)
	}
}
