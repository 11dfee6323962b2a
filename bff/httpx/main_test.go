package httpx_test

import (
	"testing"

	"mosaic/internal/leaktest"
)

// The connection limit's tests run servers and hold connections open: each
// must leave no goroutine behind (a blocked Accept, a handler, a reader).
func TestMain(m *testing.M) { leaktest.Main(m) }
