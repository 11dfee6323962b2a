//go:build !unix

package overload

// raiseOpenFiles has nothing to raise where there is no rlimit.
func raiseOpenFiles() error { return nil }
