package gateway

import (
	"hash/maphash"
	"math/bits"
)

// keyTable is a generation's keys and their slots (dedup_window.go): an open-addressing
// hash table with linear probing, that only adds keys or replaces their slots and is
// emptied whole, as the store never forgets a single key.
//
// It exists for its load. Go 1.26's maps are made of tables of up to 1,024 positions that
// double, or split in two, when 7/8 full, so a map is between 7/16 and 7/8 full depending
// on its count of keys: a full generation of the default capacity (7,813 keys a shard)
// filled its map to less than half. A keyTable takes the room for its generation's keys at
// a load of at most loadNum/loadDen with its first key, and keeps it when emptied, so a
// shard's memory is fixed once its generations have a key each: the window's resident
// memory does not creep up as it fills (the pages of a table are the operating system's
// zero pages until a key lands on them), and no table is copied while the window fills.
// Only a table given more keys than it was meant for grows, by doubling.
//
// A table is not safe for concurrent use: its shard's mutex guards it.
type keyTable struct {
	tags  []uint8 // per position: 0 when empty, else tagBit and 7 bits of the key's hash
	cells []cell
	n     int          // keys held
	room  int          // positions it takes for want keys; it outgrows them only past want
	seed  maphash.Seed // the store's, to hash the keys again when growing
}

type cell struct {
	key packedKey
	sl  slot
}

const (
	tagBit            = 0x80
	minTablePositions = 64
	loadNum, loadDen  = 4, 5 // a table holds at most 4/5 of its positions
)

// newKeyTable returns an empty table meant for want keys; it allocates with its first key.
func newKeyTable(want int, seed maphash.Seed) keyTable {
	return keyTable{room: max(minTablePositions, (want*loadDen+loadNum-1)/loadNum), seed: seed}
}

// keyHash is the hash of key that picks its shard (low bits), its position in a table
// (high bits) and its tag (bits 32 to 38).
func keyHash(seed maphash.Seed, key *packedKey) uint64 { return maphash.Bytes(seed, key[:]) }

func tagOf(h uint64) uint8 { return tagBit | uint8(h>>32)&(tagBit-1) }

// find returns key's position in t and true, or the empty position where key would go and
// false. t must have positions.
func (t *keyTable) find(key *packedKey, h uint64) (int, bool) {
	tag := tagOf(h)
	hi, _ := bits.Mul64(h, uint64(len(t.tags)))
	for i := int(hi); ; {
		switch t.tags[i] {
		case 0:
			return i, false
		case tag:
			if t.cells[i].key == *key {
				return i, true
			}
		}
		if i++; i == len(t.tags) {
			i = 0
		}
	}
}

// get returns key's slot, if t holds key; h is keyHash of key.
func (t *keyTable) get(key *packedKey, h uint64) (slot, bool) {
	if t.n == 0 {
		return slot{}, false
	}
	i, ok := t.find(key, h)
	return t.cells[i].sl, ok
}

// put stores sl under key, adding key or replacing its slot; h is keyHash of key.
func (t *keyTable) put(key *packedKey, h uint64, sl slot) {
	if len(t.tags) == 0 {
		t.resize(t.room)
	}
	i, ok := t.find(key, h)
	if !ok {
		if (t.n+1)*loadDen > len(t.tags)*loadNum {
			t.resize(t.next())
			i, _ = t.find(key, h)
		}
		t.tags[i], t.cells[i].key = tagOf(h), *key
		t.n++
	}
	t.cells[i].sl = sl
}

// next returns the count of positions t grows to when it holds more keys than it was
// meant for: twice as many.
func (t *keyTable) next() int { return 2 * len(t.tags) }

// resize moves t's keys to a table of positions positions.
func (t *keyTable) resize(positions int) {
	tags, cells := t.tags, t.cells
	t.tags, t.cells = make([]uint8, positions), make([]cell, positions)
	for i, tag := range tags {
		if tag == 0 {
			continue
		}
		c := &cells[i]
		j, _ := t.find(&c.key, keyHash(t.seed, &c.key))
		t.tags[j], t.cells[j] = tag, *c
	}
}

// empty forgets every key and keeps the positions.
func (t *keyTable) empty() {
	clear(t.tags)
	t.n = 0
}
