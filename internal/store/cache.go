package store

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// CacheConfig is what a Cache needs from its owner.
type CacheConfig[V any] struct {
	// Capacity is how many items a generation takes before it turns old (at least 1):
	// the cache holds between Capacity and 2×Capacity items, plus those with changes not
	// yet committed.
	Capacity int
	// Mark returns the sequence number of the batch that last changed v (0: none since it
	// was read from disk). An item whose mark is above the last committed batch is not
	// current on disk, so the cache keeps it through any number of rotations.
	Mark func(v V) uint64
	// Load reads the item with id back from disk, on a miss, within ctx (Get's). Its
	// error, which should name the item, is Get's.
	Load func(ctx context.Context, id int64) (V, error)
	// Reads counts the misses Load served (Metrics.Reads); nil counts nothing.
	Reads prometheus.Counter
}

// Cache holds recently used items whole, by id, in two generations: when the young one has
// taken Capacity items it becomes the old one and the previous old one is dropped, except
// its items whose changes are not committed yet, which move to the new young one. A hit in
// the old generation moves the item to the young one. A miss is read from disk, which is
// current for every item the cache dropped. It is not safe for concurrent use: the owner
// calls it under its mutex.
type Cache[V any] struct {
	cfg        CacheConfig[V]
	young, old map[int64]V
	taken      int // items young has taken since it was made, not counting carried ones
}

// NewCache returns an empty cache.
func NewCache[V any](cfg CacheConfig[V]) *Cache[V] {
	cfg.Capacity = max(cfg.Capacity, 1)
	return &Cache[V]{cfg: cfg, young: make(map[int64]V), old: make(map[int64]V)}
}

// Get returns the item with id, from memory or else from disk (then cached) within ctx.
// committed is the last committed batch (Writer.Committed).
func (c *Cache[V]) Get(ctx context.Context, id int64, committed uint64) (V, error) {
	if v, ok := c.young[id]; ok {
		return v, nil
	}
	if v, ok := c.old[id]; ok {
		delete(c.old, id)
		c.Put(id, v, committed)
		return v, nil
	}
	if c.cfg.Reads != nil {
		c.cfg.Reads.Inc()
	}
	v, err := c.cfg.Load(ctx, id)
	if err != nil {
		var none V
		return none, err
	}
	c.Put(id, v, committed)
	return v, nil
}

// Put makes v, the item with id, young, rotating the generations when the young one is
// full. Put an item when it is created or changed, after setting its mark.
func (c *Cache[V]) Put(id int64, v V, committed uint64) {
	if _, ok := c.young[id]; ok {
		c.young[id] = v
		return
	}
	if c.taken >= c.cfg.Capacity {
		c.rotate(committed)
	}
	delete(c.old, id)
	c.young[id] = v
	c.taken++
}

// Add puts v, a new item that the cache does not hold, under id: Put without looking
// for it first.
func (c *Cache[V]) Add(id int64, v V, committed uint64) {
	if c.taken >= c.cfg.Capacity {
		c.rotate(committed)
	}
	c.young[id] = v
	c.taken++
}

// rotate drops the old generation but for its uncommitted items, which move to a new
// young one; the young one becomes old.
func (c *Cache[V]) rotate(committed uint64) {
	next := make(map[int64]V, c.cfg.Capacity)
	for id, v := range c.old {
		if c.cfg.Mark(v) > committed {
			next[id] = v
		}
	}
	c.old, c.young, c.taken = c.young, next, 0
}

// Contains reports whether the item with id is in memory, without moving it.
func (c *Cache[V]) Contains(id int64) bool {
	_, young := c.young[id]
	_, old := c.old[id]
	return young || old
}

// Pending reports whether the item with id is in memory with changes not yet committed
// (its mark above committed, Writer.Committed): the disk cannot answer for it yet. An item
// out of memory is committed, since the cache never drops a pending one.
func (c *Cache[V]) Pending(id int64, committed uint64) bool {
	v, ok := c.young[id]
	if !ok {
		v, ok = c.old[id]
	}
	return ok && c.cfg.Mark(v) > committed
}

// Len returns the number of items in memory.
func (c *Cache[V]) Len() int { return len(c.young) + len(c.old) }
