package balance_test

import (
	"testing"

	"mosaic/internal/leaktest"
)

// The tests run gRPC servers and channels, whose goroutines (health watches,
// transports, balancer children) must all end with them.
func TestMain(m *testing.M) { leaktest.Main(m) }
