package gateway

import (
	"hash/maphash"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyTable(t *testing.T) {
	seed := maphash.MakeSeed()
	put := func(tb *keyTable, n int, h func(*packedKey) uint64) {
		for i := range n {
			key := windowKey(i)
			tb.put(&key, h(&key), slot{seen: int64(i)})
		}
	}
	hash := func(k *packedKey) uint64 { return keyHash(seed, k) }
	requireHolds := func(t *testing.T, tb *keyTable, n int, h func(*packedKey) uint64) {
		t.Helper()
		require.Equal(t, n, tb.n)
		for i := range n {
			key := windowKey(i)
			sl, ok := tb.get(&key, h(&key))
			require.True(t, ok, "key %d", i)
			require.Equal(t, int64(i), sl.seen, "key %d", i)
		}
		for i := n; i < 2*n; i++ {
			key := windowKey(i)
			_, ok := tb.get(&key, h(&key))
			require.False(t, ok, "key %d was never put", i)
		}
	}
	t.Run("it holds every key it is given, and no other, in the room it took with its first key", func(t *testing.T) {
		tb := newKeyTable(10_000, seed)
		require.Empty(t, tb.tags, "nothing allocated before the first key")
		put(&tb, 1, hash)
		require.Len(t, tb.tags, 12_500, "the room for its keys at 4/5, with the first key")
		put(&tb, 10_000, hash)
		requireHolds(t, &tb, 10_000, hash)
		require.Len(t, tb.tags, 12_500, "no further")
	})
	t.Run("a key put again has its slot replaced, not added", func(t *testing.T) {
		tb := newKeyTable(100, seed)
		put(&tb, 100, hash)
		key := windowKey(7)
		tb.put(&key, hash(&key), slot{seen: -1})
		sl, ok := tb.get(&key, hash(&key))
		require.True(t, ok)
		require.Equal(t, int64(-1), sl.seen)
		require.Equal(t, 100, tb.n)
	})
	t.Run("keys of one hash are told apart by their bytes, across the table's end", func(t *testing.T) {
		tb := newKeyTable(100, seed)
		same := func(*packedKey) uint64 { return ^uint64(0) } // the last position, every key
		put(&tb, 40, same)                                    // within its room: no rehash
		requireHolds(t, &tb, 40, same)
	})
	t.Run("a table given more keys than it was meant for grows and still holds them all", func(t *testing.T) {
		tb := newKeyTable(10, seed)
		put(&tb, 1000, hash)
		requireHolds(t, &tb, 1000, hash)
		require.Greater(t, len(tb.tags), minTablePositions)
	})
	t.Run("emptying forgets every key and keeps the positions", func(t *testing.T) {
		tb := newKeyTable(1000, seed)
		put(&tb, 1000, hash)
		positions := len(tb.tags)
		tb.empty()
		requireHolds(t, &tb, 0, hash)
		key := windowKey(3)
		_, ok := tb.get(&key, hash(&key))
		require.False(t, ok)
		put(&tb, 1000, hash)
		requireHolds(t, &tb, 1000, hash)
		require.Len(t, tb.tags, positions)
	})
}
