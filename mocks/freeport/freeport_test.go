package freeport

import (
	"net"
	"strconv"
	"testing"
)

// Ports are free, below the ephemeral range, and never handed out twice
// in a run, even when none of them is bound in between.
func TestPortsAreFreeDistinctAndBelowTheEphemeralRange(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		p, err := Port()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if top := ephemeralStart(); top > lowest+1000 && (p < lowest || p >= top) {
			t.Fatalf("port %d outside [%d, %d)", p, lowest, top)
		}
	}
	taken, err := Port()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(taken))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	turn.Store(int32(taken - lowest - 1)) // the next turn is the port now in use
	if a, err := Addr(); err != nil || a == "127.0.0.1:"+strconv.Itoa(taken) {
		t.Fatalf("Addr() = %s, %v: want another port than %d, which is in use", a, err, taken)
	}
}
