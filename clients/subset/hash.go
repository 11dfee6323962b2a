package subset

// The hashes are spelled out rather than taken from hash/maphash so that every
// replica, whatever its process or Go version, computes the same subsets.

// hashString is 64-bit FNV-1a, finished with mix64 so that ids differing only
// in their last bytes (addresses, ordinals) still spread over all bits.
func hashString(s string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return mix64(h)
}

// replicaKey is the rendezvous key of a replica. The constant keeps a
// replica's key apart from the hash of an instance of the same name.
func replicaKey(id string) uint64 { return mix64(hashString(id) + 0x9e3779b97f4a7c15) }

// score is the rendezvous (highest random weight) score of one instance for
// one replica.
func score(key, instance uint64) uint64 { return mix64(key ^ instance) }

// mix64 is the splitmix64 finalizer: a bijection with full avalanche.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
