package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/internal/store"
)

func TestIndex(t *testing.T) {
	t.Run("finds each key's id with the default hash", func(t *testing.T) {
		x := store.NewIndex(store.IndexConfig[string]{})
		for i, k := range []string{"a", "b", "c"} {
			x.Add(k, int64(i+1))
		}
		for i, k := range []string{"a", "b", "c"} {
			id, ok := x.Candidate(k)
			require.True(t, ok)
			require.Equal(t, int64(i+1), id)
		}
		_, ok := x.Candidate("d")
		require.False(t, ok)
		require.Equal(t, 3, x.Len())
		require.Zero(t, x.Collided())
	})
	t.Run("keeps keys whose hashes collide apart in the exact map", func(t *testing.T) {
		x := store.NewIndex(store.IndexConfig[string]{Hash: func(string) uint64 { return 7 }})
		x.Add("a", 1)
		id, ok := x.Candidate("b")
		require.True(t, ok)
		require.Equal(t, int64(1), id, "only a candidate: the owner finds item 1's key is not b")
		x.Add("b", 2)
		x.Add("c", 3)
		for k, want := range map[string]int64{"a": 1, "b": 2, "c": 3} {
			id, ok := x.Candidate(k)
			require.True(t, ok)
			require.Equal(t, want, id, k)
		}
		require.Equal(t, 3, x.Len())
		require.Equal(t, 2, x.Collided())
	})
}

func TestIndexBound(t *testing.T) {
	t.Run("holds between one and two generations of the newest keys however many are added", func(t *testing.T) {
		x := store.NewIndex(store.IndexConfig[int]{Capacity: 100})
		for i := 1; i <= 100_000; i++ {
			x.Add(i, int64(i))
			require.LessOrEqual(t, x.Len(), 200, "after %d keys", i)
		}
		require.GreaterOrEqual(t, x.Len(), 100)
		require.False(t, x.Complete(), "it dropped keys: a miss is no longer an answer")
		for i := 100_000 - 99; i <= 100_000; i++ {
			id, ok := x.Candidate(i)
			require.True(t, ok, "the newest generation is whole: key %d", i)
			require.Equal(t, int64(i), id)
		}
		_, ok := x.Candidate(1)
		require.False(t, ok, "the oldest keys are gone from memory")
	})
	t.Run("sends every dropped key to disk and proves most keys never added new", func(t *testing.T) {
		x := store.NewIndex(store.IndexConfig[int]{Capacity: 100, Hash: splitmix})
		for i := 1; i <= 10_000; i++ {
			if x.Complete() {
				require.False(t, x.MayBeDropped(i), "nothing dropped yet")
			}
			x.Add(i, int64(i))
		}
		for i := 1; i <= 10_000; i++ {
			if _, ok := x.Candidate(i); !ok {
				require.True(t, x.MayBeDropped(i), "dropped key %d must be looked for on disk", i)
			}
		}
		maybe := 0
		for i := 10_001; i <= 20_000; i++ {
			if x.MayBeDropped(i) {
				maybe++
			}
		}
		// 10,000 keys in 51,200 bits, two bits each: about 11% pass for dropped.
		require.Less(t, maybe, 2_000, "keys never added that must still be read on disk")
	})
	t.Run("is complete until it first drops a key", func(t *testing.T) {
		x := store.NewIndex(store.IndexConfig[int]{Capacity: 10})
		for i := 1; i <= 20; i++ {
			x.Add(i, int64(i))
		}
		require.True(t, x.Complete(), "two generations of 10 hold all 20")
		x.Add(21, 21)
		require.False(t, x.Complete())
		require.Equal(t, 11, x.Len())
	})
	t.Run("never drops the key of a pending item", func(t *testing.T) {
		pending := map[int64]bool{3: true, 7: true}
		x := store.NewIndex(store.IndexConfig[int]{Capacity: 5, Pending: func(id int64) bool { return pending[id] }})
		for i := 1; i <= 1000; i++ {
			x.Add(i, int64(i))
		}
		for _, k := range []int{3, 7} {
			id, ok := x.Candidate(k)
			require.True(t, ok, "key %d is pending", k)
			require.Equal(t, int64(k), id)
		}
		require.LessOrEqual(t, x.Len(), 12)
		delete(pending, 3)
		for i := 1001; i <= 1010; i++ {
			x.Add(i, int64(i))
		}
		_, ok := x.Candidate(3)
		require.False(t, ok, "committed now, so dropped with its generation")
		_, ok = x.Candidate(7)
		require.True(t, ok)
	})
	t.Run("keeps a colliding key apart across generations", func(t *testing.T) {
		x := store.NewIndex(store.IndexConfig[string]{Capacity: 2, Hash: func(string) uint64 { return 7 }})
		x.Add("a", 1)
		x.Add("b", 2)
		x.Add("c", 3) // a and b turn old; c's hash is taken there: exact
		for k, want := range map[string]int64{"a": 1, "b": 2, "c": 3} {
			id, ok := x.Candidate(k)
			require.True(t, ok)
			require.Equal(t, want, id, k)
		}
		x.Add("d", 4)
		x.Add("e", 5) // a and b are dropped; e's hash is free again, but c and d are exact
		_, ok := x.Candidate("e")
		require.True(t, ok)
		for k, want := range map[string]int64{"c": 3, "d": 4} {
			id, ok := x.Candidate(k)
			require.True(t, ok)
			require.Equal(t, want, id, k)
		}
	})
}

// splitmix is a fixed, well-mixed hash, so that the filter's false positives are the same
// at every run.
func splitmix(k int) uint64 {
	z := uint64(k) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

type item struct {
	id   int64
	mark uint64
}

func newCache(capacity int, disk map[int64]*item, reads prometheus.Counter) *store.Cache[*item] {
	return store.NewCache(store.CacheConfig[*item]{
		Capacity: capacity,
		Mark:     func(v *item) uint64 { return v.mark },
		Load: func(_ context.Context, id int64) (*item, error) {
			if v := disk[id]; v != nil {
				return &item{id: id}, nil
			}
			return nil, fmt.Errorf("reading item %d: no such row", id)
		},
		Reads: reads,
	})
}

func TestCache(t *testing.T) {
	t.Run("keeps an item with uncommitted changes through any number of rotations", func(t *testing.T) {
		c := newCache(1, nil, nil)
		c.Put(1, &item{id: 1, mark: 5}, 4)
		for id := int64(2); id < 20; id++ {
			c.Put(id, &item{id: id}, 4)
		}
		require.True(t, c.Contains(1))
		require.LessOrEqual(t, c.Len(), 3)
	})
	t.Run("drops an item two rotations after it is committed, and a hit in old makes it young", func(t *testing.T) {
		c := newCache(2, nil, nil)
		c.Put(1, &item{id: 1, mark: 5}, 5)
		c.Put(2, &item{id: 2}, 5)
		c.Put(3, &item{id: 3}, 5) // young {3}, old {1, 2}
		_, err := c.Get(ctx, 1, 5)
		require.NoError(t, err)   // young {3, 1}
		c.Put(4, &item{id: 4}, 5) // young {4}, old {3, 1}: 2 dropped
		require.False(t, c.Contains(2))
		c.Put(5, &item{id: 5}, 5)
		c.Put(6, &item{id: 6}, 5) // young {6}, old {4, 5}
		require.False(t, c.Contains(1))
		require.Equal(t, 3, c.Len())
	})
	t.Run("Add takes a new item as Put does, and rotates the same way", func(t *testing.T) {
		c := newCache(2, nil, nil)
		c.Add(1, &item{id: 1, mark: 5}, 4)
		c.Add(2, &item{id: 2}, 4)
		c.Add(3, &item{id: 3}, 4) // young {3}, old {1, 2}
		c.Add(4, &item{id: 4}, 4)
		c.Add(5, &item{id: 5}, 4) // young {1, 5} (1 carried: uncommitted), old {3, 4}
		require.True(t, c.Contains(1))
		require.False(t, c.Contains(2))
		require.Equal(t, 4, c.Len())
	})
	t.Run("reads a miss back from disk, counts it and keeps it", func(t *testing.T) {
		reads := prometheus.NewCounter(prometheus.CounterOpts{Name: "reads"})
		c := newCache(4, map[int64]*item{9: {id: 9}}, reads)
		v, err := c.Get(ctx, 9, 0)
		require.NoError(t, err)
		require.Equal(t, int64(9), v.id)
		_, err = c.Get(ctx, 9, 0)
		require.NoError(t, err)
		require.Equal(t, float64(1), counter(t, reads))
		_, err = c.Get(ctx, 10, 0)
		require.EqualError(t, err, "reading item 10: no such row")
		require.False(t, c.Contains(10))
	})
}

func TestCachePending(t *testing.T) {
	t.Run("reports an item pending only while its mark is above the last commit", func(t *testing.T) {
		c := newCache(2, map[int64]*item{}, nil)
		c.Put(1, &item{id: 1, mark: 5}, 0)
		c.Put(2, &item{id: 2}, 0)
		require.True(t, c.Pending(1, 4))
		require.False(t, c.Pending(1, 5), "batch 5 has committed")
		require.False(t, c.Pending(2, 0), "read from disk, unchanged since")
		require.False(t, c.Pending(3, 0), "not in memory: committed")
	})
}
