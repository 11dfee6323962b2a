package registry

import (
	"slices"
	"testing"
)

// A failing operation's tries are logged at 1, 2, 4, 8…, each line saying
// when the next comes.
func TestFailingTriesAreLoggedAtDoublingCounts(t *testing.T) {
	var got []int
	for n := range 70 {
		if logged(n) {
			got = append(got, n)
		}
	}
	if want := []int{1, 2, 4, 8, 16, 32, 64}; !slices.Equal(got, want) {
		t.Errorf("logged tries %v, want %v", got, want)
	}
	if s := nextLogged(8); s != "; the next line at try 16" {
		t.Errorf("nextLogged(8) = %q", s)
	}
	if s := nextLogged(1); s != "" {
		t.Errorf("nextLogged(1) = %q, want nothing (the next try is logged too)", s)
	}
}
