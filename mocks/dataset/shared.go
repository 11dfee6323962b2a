package dataset

import "sync"

// shared caches one Classic Dataset per seed for a process: test binaries
// start many topologies over the same seed, and building is the slow part.
var shared struct {
	mu   sync.Mutex
	sets map[int64]*Dataset
}

// Shared returns the process-wide Classic Dataset of seed, building it once.
// It is read-only: its Update methods fail.
func Shared(seed int64) *Dataset {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if d, ok := shared.sets[seed]; ok {
		return d
	}
	if shared.sets == nil {
		shared.sets = map[int64]*Dataset{}
	}
	d := New(seed, Classic())
	d.shared = true
	shared.sets[seed] = d
	return d
}
