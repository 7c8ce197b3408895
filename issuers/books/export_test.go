package books

import "github.com/bandeira/bandeira"

// UseKeyHash makes the books opened until restore is called hash keys with h: a hash
// that collides often sends keys through the index's exact fallback. Tests that use it
// must not run in parallel.
func UseKeyHash(h func(bandeira.Key) uint64) (restore func()) {
	old := keyHash
	keyHash = func() func(bandeira.Key) uint64 { return h }
	return func() { keyHash = old }
}

// CloseReader closes the connection that reads requests out of the cache back from disk,
// so that the next such read fails.
func CloseReader(bk *Books) error { return bk.reader.Close() }
