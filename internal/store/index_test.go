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
		x := store.NewIndex[string](0, nil)
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
		x := store.NewIndex(0, func(string) uint64 { return 7 })
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
