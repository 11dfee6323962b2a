//go:build !race

package mosaic_test

const raceEnabled = false
