//go:build race

package cache

// raceEnabled: the race detector slows the store's writes about twentyfold.
const raceEnabled = true
