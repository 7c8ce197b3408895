package acquirer

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
)

// defaultCacheEntries is JournalOptions.CacheEntries when it is 0.
const defaultCacheEntries = 16384

// tracked is a sale or refund as it stands after its reversals and completions.
type tracked struct {
	entry Entry        // the entry as first recorded
	fee   bandeira.Fee // its fee after every amendment so far
	seq   uint64       // the batch that last changed it (recorded or amended); 0 read from disk
}

// trackedCache holds the sales and refunds recorded or touched lately, by id, in two
// generations: when young has taken capacity entries it becomes old and the previous old
// is dropped, except its entries with changes not yet committed, which move into the new
// young (a dropped entry is read back from disk, so what it holds there must be whole).
// A hit in old moves the entry to young. It holds at most 2×capacity entries plus those
// of the batches in flight.
type trackedCache struct {
	capacity   int
	young, old map[int64]*tracked
	taken      int // entries young has taken since it was made, not counting carried ones
}

func newTrackedCache(capacity int) trackedCache {
	if capacity <= 0 {
		capacity = defaultCacheEntries
	}
	return trackedCache{capacity: capacity, young: make(map[int64]*tracked), old: make(map[int64]*tracked)}
}

// get returns the entry with id, or nil. committed is the last committed batch.
func (c *trackedCache) get(id int64, committed uint64) *tracked {
	if t, ok := c.young[id]; ok {
		return t
	}
	t, ok := c.old[id]
	if ok {
		delete(c.old, id)
		c.put(t, committed)
	}
	return t
}

// put makes t young, rotating the generations when young is full.
func (c *trackedCache) put(t *tracked, committed uint64) {
	if _, ok := c.young[t.entry.ID]; ok {
		return
	}
	if c.taken >= c.capacity {
		c.rotate(committed)
	}
	c.young[t.entry.ID] = t
	c.taken++
}

// rotate drops old but for its uncommitted entries, which move to a new young; young
// becomes old.
func (c *trackedCache) rotate(committed uint64) {
	next := make(map[int64]*tracked, c.capacity)
	for id, t := range c.old {
		if t.seq > committed {
			next[id] = t
		}
	}
	c.old, c.young, c.taken = c.young, next, 0
}

// tracked returns the sale or refund with id from the cache, or else from disk: the entry,
// and its fee plus those of its amendments (all committed, or it would be in the cache).
// j.mu must be held.
func (j *Journal) tracked(ctx context.Context, id int64) (*tracked, error) {
	if t := j.cache.get(id, j.committed); t != nil {
		return t, nil
	}
	j.reads.Inc()
	e, err := scanEntry(j.readEntry.QueryRowContext(ctx, id))
	if err != nil {
		return nil, fmt.Errorf("reading entry %d: %w", id, err)
	}
	var (
		gross, mdr, ic, bf, margin, net int64
	)
	if err := j.readAmended.QueryRowContext(ctx, id).Scan(&gross, &mdr, &ic, &bf, &margin, &net); err != nil {
		return nil, fmt.Errorf("reading the amendments of entry %d: %w", id, err)
	}
	amended := bandeira.Fee{Gross: bandeira.Amount(gross), MDR: bandeira.Amount(mdr), Interchange: bandeira.Amount(ic),
		BrandFee: bandeira.Amount(bf), AcquirerMargin: bandeira.Amount(margin), Net: bandeira.Amount(net)}
	t := &tracked{entry: e, fee: add(e.Fee, amended)}
	j.cache.put(t, j.committed)
	return t, nil
}

// touch makes t young after a change that batch seq will commit. j.mu must be held.
func (j *Journal) touch(t *tracked, seq uint64) {
	t.seq = seq
	j.cache.put(t, j.committed)
}
