package store

import (
	"hash/maphash"
	"math/bits"
)

// filterBitsPerKey sizes a bounded index's filter: bits per key of Capacity. At the
// default capacities (131,072) that is 8 MB, and a key not stored passes for possibly
// stored (costing one read on disk) about 2% of the time after 5 million keys, 20% after
// 20 million.
const filterBitsPerKey = 512

// IndexConfig is what an Index needs from its owner. The zero value is an index that keeps
// every key for good.
type IndexConfig[K comparable] struct {
	// Size is how many keys to make room for up front (no more than Capacity when it is
	// set).
	Size int
	// Capacity bounds the memory: a generation takes Capacity keys before it turns old and
	// the previous old one is dropped, so the index holds between Capacity and 2×Capacity
	// keys, plus those Pending keeps. 0 keeps every key.
	Capacity int
	// Pending reports whether the item with id has changes not yet committed: its key is
	// kept through any number of generations, because the disk cannot answer for it yet.
	// nil means every dropped item is committed.
	Pending func(id int64) bool
	// Hash is the key's 64-bit hash; nil means maphash.Comparable with a seed of the
	// index's own. Tests pass a hash that collides to exercise the exact map.
	Hash func(K) uint64
}

// Index maps keys to ids compactly, without holding the keys: a 64-bit hash of the key to
// the id, about 25–30 bytes per key. A hit is only a candidate, which the owner confirms
// against the item's real key; a key whose hash an earlier, different key already holds
// (a collision) is kept whole in an exact map, looked at first.
//
// With a Capacity it holds the newest keys only, in two generations like Cache: once it has
// dropped a key, a miss means "not among the recent keys", and MayBeDropped says whether
// the owner must look for the key on disk before taking it for new. Keys of items not yet
// committed are never dropped. Beside the generations it keeps a filter of fixed size
// (a Bloom filter, two bits per key) over every key ever added, so that a key never stored
// is almost always known new without a read. It is not safe for concurrent use: the
// owner calls it under its mutex.
type Index[K comparable] struct {
	cfg        IndexConfig[K]
	young, old generation[K]
	taken      int // keys young has taken since it was made, not counting carried ones
	complete   bool
	filter     []uint64 // bounded only: every key's two bits, len a power of two
}

// generation is one generation of an Index: hashes to ids, and the colliding keys whole.
type generation[K comparable] struct {
	ids   map[uint64]int64
	exact map[K]int64
}

func newGeneration[K comparable](size int) generation[K] {
	return generation[K]{ids: make(map[uint64]int64, size), exact: make(map[K]int64)}
}

func (g generation[K]) len() int { return len(g.ids) + len(g.exact) }

// NewIndex returns an empty index.
func NewIndex[K comparable](cfg IndexConfig[K]) *Index[K] {
	if cfg.Hash == nil {
		seed := maphash.MakeSeed()
		cfg.Hash = func(k K) uint64 { return maphash.Comparable(seed, k) }
	}
	size := cfg.Size
	if cfg.Capacity > 0 {
		size = min(size, cfg.Capacity)
	}
	x := &Index[K]{cfg: cfg, young: newGeneration[K](size), old: newGeneration[K](0), complete: true}
	if cfg.Capacity > 0 {
		words := max(cfg.Capacity*filterBitsPerKey/64, 1)
		x.filter = make([]uint64, 1<<bits.Len(uint(words-1)))
	}
	return x
}

// filterBits returns the two filter bits of hash h: word and bit of each.
func (x *Index[K]) filterBits(h uint64) (w1, w2 uint64, b1, b2 uint64) {
	mask := uint64(len(x.filter) - 1)
	return (h >> 6) & mask, (h >> 38) & mask, 1 << (h & 63), 1 << ((h >> 32) & 63)
}

// Candidate returns the id k may be stored under: certain when k is in an exact map,
// otherwise the id of the item whose key has k's hash, to be confirmed by its key. A hash
// is held by one key at most across the two generations (Add sends a second one to the
// exact map), so there is one candidate at most.
func (x *Index[K]) Candidate(k K) (int64, bool) {
	if id, ok := x.young.exact[k]; ok {
		return id, true
	}
	if id, ok := x.old.exact[k]; ok {
		return id, true
	}
	h := x.cfg.Hash(k)
	if id, ok := x.young.ids[h]; ok {
		return id, true
	}
	id, ok := x.old.ids[h]
	return id, ok
}

// Add indexes k under id, in the young generation. k must not be indexed yet (Candidate
// found nothing, or a candidate whose key is another); a hash already taken sends k to the
// exact map. With a Capacity, a full young generation turns old first.
func (x *Index[K]) Add(k K, id int64) {
	if x.cfg.Capacity > 0 && x.taken >= x.cfg.Capacity {
		x.rotate()
	}
	x.taken++
	h := x.cfg.Hash(k)
	if x.filter != nil {
		w1, w2, b1, b2 := x.filterBits(h)
		x.filter[w1] |= b1
		x.filter[w2] |= b2
	}
	_, young := x.young.ids[h]
	_, old := x.old.ids[h]
	if young || old {
		x.young.exact[k] = id
		return
	}
	x.young.ids[h] = id
}

// rotate drops the old generation but for the keys of pending items, which move to a new
// young one; the young one becomes old.
func (x *Index[K]) rotate() {
	next := newGeneration[K](x.cfg.Capacity)
	for h, id := range x.old.ids {
		if x.pending(id) {
			next.ids[h] = id
		} else {
			x.complete = false
		}
	}
	for k, id := range x.old.exact {
		if x.pending(id) {
			next.exact[k] = id
		} else {
			x.complete = false
		}
	}
	x.old, x.young, x.taken = x.young, next, 0
}

func (x *Index[K]) pending(id int64) bool { return x.cfg.Pending != nil && x.cfg.Pending(id) }

// Complete reports whether every key ever added is still in memory, so that a miss means
// the key was never added. Once the index has dropped a key it stays false.
func (x *Index[K]) Complete() bool { return x.complete }

// MayBeDropped reports whether k, which Candidate did not confirm, may be a key the index
// has dropped: false when it has dropped none, or when the filter proves k was never
// added. True obliges the owner to look for k on disk.
func (x *Index[K]) MayBeDropped(k K) bool {
	if x.complete {
		return false
	}
	w1, w2, b1, b2 := x.filterBits(x.cfg.Hash(k))
	return x.filter[w1]&b1 != 0 && x.filter[w2]&b2 != 0
}

// Len returns the number of keys in memory.
func (x *Index[K]) Len() int { return x.young.len() + x.old.len() }

// Collided returns the number of keys in memory kept whole because their hash was taken.
func (x *Index[K]) Collided() int { return len(x.young.exact) + len(x.old.exact) }
