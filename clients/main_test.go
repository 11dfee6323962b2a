package clients_test

import (
	"testing"

	"mosaic/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }
