//go:build race

package mosaic_test

// raceEnabled: this is the race run of .ci/run, which has run every test
// of this package without the detector already.
const raceEnabled = true
