package reqid

import (
	"context"
	"strings"
	"testing"
)

func TestWithAndFrom(t *testing.T) {
	ctx := context.Background()
	if got := From(ctx); got != "" {
		t.Errorf("From(background) = %q", got)
	}
	if With(ctx, "") != ctx {
		t.Error("an empty id made a new context")
	}
	if got := From(With(ctx, "abc")); got != "abc" {
		t.Errorf("From(With(abc)) = %q", got)
	}
}

func TestSane(t *testing.T) {
	nuls := string(make([]byte, 129))
	for id, want := range map[string]bool{
		"abc-1": true, "0123456789abcdef0123456789abcdef": true, "a/b:c=d": true,
		"": false, "a b": false, "a\r\nX-Evil: 1": false, "é": false, nuls: false,
		strings.Repeat("a", 128): true, strings.Repeat("a", 129): false, // the length bound alone
	} {
		if got := Sane(id); got != want {
			t.Errorf("Sane(%q) = %v, want %v", id, got, want)
		}
	}
}
