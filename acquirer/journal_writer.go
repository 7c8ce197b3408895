package acquirer

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// write is the writer goroutine: it commits the current batch whenever there is one, until
// Close closes kick; then it commits what is left and returns.
func (j *Journal) write() {
	defer close(j.writerDone)
	for range j.kick {
		j.drain()
	}
	j.drain()
}

// drain commits batches until the current one is empty. A batch with no entries (calls
// that only wait for earlier entries) completes once every batch before it has.
//
// The writer yields before taking each batch, as the issuers' books do (docs/ledger.md):
// the calls the previous commit released then run first and the next batch fills,
// instead of the writer committing ever smaller batches ahead of them.
func (j *Journal) drain() {
	for {
		runtime.Gosched()
		j.mu.Lock()
		bt := j.cur
		if len(bt.entries) == 0 && !j.waiting(bt) {
			j.mu.Unlock()
			return
		}
		j.cur = &journalBatch{seq: bt.seq + 1, done: make(chan struct{})}
		err := j.failed
		j.mu.Unlock()
		if err == nil && len(bt.entries) > 0 {
			err = j.commit(bt)
		}
		bt.err = j.settle(bt.seq, err)
		bt.entries = nil
		close(bt.done)
	}
}

// settle records the outcome of batch seq: committed, so the cache may drop what it
// changed, or failed, which fails the journal for good. It returns the batch's error.
func (j *Journal) settle(seq uint64, err error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err == nil {
		j.committed = seq
		return nil
	}
	if j.failed == nil {
		j.failed = fmt.Errorf("%w: %w", ErrJournalFailed, err)
		j.log.Error().Err(err).Msg("commit failed; the journal records nothing more until reopened")
	}
	return j.failed
}

// waiting reports whether a call waits on bt: any batch the writer is asked to drain may
// have waiters, so an empty batch is closed too once kicked. j.mu must be held.
func (j *Journal) waiting(bt *journalBatch) bool { return bt.waiters > 0 }

// commit writes one batch in one transaction, with multi-row INSERTs.
func (j *Journal) commit(bt *journalBatch) error {
	start, ctx := time.Now(), context.Background()
	if err := j.insert.prepare(ctx, j.db, len(bt.entries)); err != nil {
		return err
	}
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning commit: %w", err)
	}
	if err := j.insert.exec(ctx, tx, bt.entries); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	j.commits.Observe(time.Since(start).Seconds())
	for i := range bt.entries {
		j.counts[bt.entries[i].Kind].Inc()
	}
	return nil
}
