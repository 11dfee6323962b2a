package mocks

import "sync"

// shared caches one Dataset per seed for a process: a Dataset is immutable
// once built, and test binaries start many topologies over the same seed.
var shared struct {
	mu   sync.Mutex
	sets map[int64]*Dataset
}

// SharedDataset returns the process-wide Dataset of seed, building it once.
func SharedDataset(seed int64) *Dataset {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if d, ok := shared.sets[seed]; ok {
		return d
	}
	if shared.sets == nil {
		shared.sets = map[int64]*Dataset{}
	}
	d := NewDataset(seed)
	shared.sets[seed] = d
	return d
}
