package store

import "hash/maphash"

// Index maps keys to ids compactly, for stores that must find every key they ever stored
// (idempotency keys are kept for good) without holding the keys: a 64-bit hash of the key
// to the id, about 25–30 bytes per key. A hit is only a candidate, which the owner
// confirms against the item's real key; a key whose hash an earlier, different key already
// holds (a collision) is kept whole in an exact map, looked at first. It is not safe for
// concurrent use: the owner calls it under its mutex.
type Index[K comparable] struct {
	hash  func(K) uint64
	ids   map[uint64]int64
	exact map[K]int64
}

// NewIndex returns an empty index sized for size keys. hash nil means maphash.Comparable
// with a seed of the index's own; tests pass a hash that collides to exercise the exact
// map.
func NewIndex[K comparable](size int, hash func(K) uint64) *Index[K] {
	if hash == nil {
		seed := maphash.MakeSeed()
		hash = func(k K) uint64 { return maphash.Comparable(seed, k) }
	}
	return &Index[K]{hash: hash, ids: make(map[uint64]int64, size), exact: make(map[K]int64)}
}

// Candidate returns the id k may be stored under: certain when k is in the exact map,
// otherwise the id of the item whose key has k's hash, to be confirmed by its key.
func (x *Index[K]) Candidate(k K) (int64, bool) {
	if id, ok := x.exact[k]; ok {
		return id, true
	}
	id, ok := x.ids[x.hash(k)]
	return id, ok
}

// Add indexes k under id. k must not be indexed yet (Candidate found nothing, or a
// candidate whose key is another); a hash already taken sends k to the exact map.
func (x *Index[K]) Add(k K, id int64) {
	h := x.hash(k)
	if _, taken := x.ids[h]; taken {
		x.exact[k] = id
		return
	}
	x.ids[h] = id
}

// Len returns the number of keys indexed.
func (x *Index[K]) Len() int { return len(x.ids) + len(x.exact) }

// Collided returns the number of keys kept whole because their hash was taken.
func (x *Index[K]) Collided() int { return len(x.exact) }
