package acquirer

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
)

// defaultCacheEntries is JournalOptions.CacheEntries when it is 0.
const defaultCacheEntries = 16384

// defaultKeysInMemory is JournalOptions.KeysInMemory when it is 0: at about 25 bytes a
// key, the index takes at most about 7 MB (two generations), plus the keys not committed.
const defaultKeysInMemory = 131072

// tracked is a sale or refund as it stands after its reversals, completions and expiry.
type tracked struct {
	entry    Entry        // the entry as first recorded
	fee      bandeira.Fee // its fee after every amendment so far
	seq      uint64       // the batch that last changed it (recorded or amended); 0 read from disk
	captured bool         // a hold captured by a completion
	expired  bool         // a hold that expired uncaptured
}

// hold reports whether t is an authorization hold: a sale journaled from an 0100 (or
// 0101), which is presented only once a completion captures it.
func (t *tracked) hold() bool { return t.entry.isHold() }

// amount is what t stands for now, in positive centavos.
func (t *tracked) amount() bandeira.Amount {
	if t.fee.Gross < 0 {
		return -t.fee.Gross
	}
	return t.fee.Gross
}

// tracked returns the sale or refund with id from the cache (internal/store's
// two-generation cache, which never drops one with changes not yet committed), or else
// from disk. j.mu must be held.
func (j *Journal) tracked(ctx context.Context, id int64) (*tracked, error) {
	return j.cache.Get(ctx, id, j.w.Committed())
}

// load reads the sale or refund with id from disk: the entry, and its fee plus those of
// its amendments (all committed, or it would be in the cache). It runs under j.mu, on the
// read-only handle.
func (j *Journal) load(ctx context.Context, id int64) (*tracked, error) {
	e, err := scanEntry(j.readEntry.QueryRowContext(ctx, id))
	if err != nil {
		return nil, fmt.Errorf("reading entry %d: %w", id, err)
	}
	var gross, mdr, ic, bf, margin, net int64
	var captured, expired bool
	if err := j.readAmended.QueryRowContext(ctx, id).Scan(&gross, &mdr, &ic, &bf, &margin, &net, &captured, &expired); err != nil {
		return nil, fmt.Errorf("reading the amendments of entry %d: %w", id, err)
	}
	amended := bandeira.Fee{Gross: bandeira.Amount(gross), MDR: bandeira.Amount(mdr), Interchange: bandeira.Amount(ic),
		BrandFee: bandeira.Amount(bf), AcquirerMargin: bandeira.Amount(margin), Net: bandeira.Amount(net)}
	return &tracked{entry: e, fee: add(e.Fee, amended), captured: captured, expired: expired}, nil
}

// touch makes t young after a change that the current batch will commit. j.mu must be
// held.
func (j *Journal) touch(t *tracked) {
	t.seq = j.w.Batch().Seq()
	j.cache.Put(t.entry.ID, t, j.w.Committed())
}
