package books

import "github.com/bandeira/bandeira"

// WithKeyHash returns opts with the key index hashing keys with h: a hash that collides
// often sends keys through the index's exact map.
func WithKeyHash(opts Options, h func(bandeira.Key) uint64) Options {
	opts.keyHash = h
	return opts
}

// CloseReader closes the read-only handle that reads requests out of the cache back from
// disk, so that the next such read fails.
func CloseReader(bk *Books) error { return bk.db.R.Close() }

// Migrations returns the books' schema versions, so a test can build books of an older one.
func Migrations() []string { return migrations }

// KeysInMemory returns how many request keys the books' in-memory index holds.
func KeysInMemory(bk *Books) int {
	bk.mu.Lock()
	defer bk.mu.Unlock()
	return bk.st.keys.Len()
}
