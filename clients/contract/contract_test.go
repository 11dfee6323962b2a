package contract

import (
	"strings"
	"testing"
)

// A lane's name is what the spec's X-Color pattern allows,
// ^[a-z0-9][a-z0-9-]{0,31}$, and nothing else.
func TestValidColor(t *testing.T) {
	for _, c := range []struct {
		color string
		ok    bool
	}{
		{"canary", true},
		{"a", true},
		{"0-blue-2", true},
		{strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), false},
		{"", false},
		{"-canary", false},
		{"Canary", false},
		{"a b", false},
		{"canary_1", false},
		{"canäry", false},
	} {
		if got := ValidColor(c.color); got != c.ok {
			t.Errorf("ValidColor(%q) = %v, want %v", c.color, got, c.ok)
		}
	}
}
