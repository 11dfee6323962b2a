package reqid

import (
	"context"
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
