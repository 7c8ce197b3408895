package acquirer

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// Defaults of JournalOptions.
const (
	defaultHoldExpiry    = 7 * 24 * time.Hour // issuers.ledger.hold_expiry's default
	defaultSweepInterval = time.Minute
)

// heldAt is an 0100 hold waiting for its capture, reversal or expiry: its entry id and
// when it was journaled (Unix nanoseconds of the journal's clock).
type heldAt struct {
	id int64
	at int64
}

// ExpireHolds records the expiry of every 0100 hold that no completion captured, not
// reversed in full and journaled HoldExpiry or more ago by the journal's clock, as the
// issuers release such holds (docs/economics.md), and returns how many it expired once
// they are committed. The journal runs it at open and every SweepInterval; it is safe to
// call at any time. The error is the journal's (ErrJournalFailed, ErrJournalClosed), ctx's
// while waiting for the commit, or that of reading an evicted hold back from disk.
func (j *Journal) ExpireHolds(ctx context.Context) (int, error) {
	bt, n, err := j.expireDue(ctx)
	if err != nil || bt == nil {
		return 0, err
	}
	if err := bt.Wait(ctx); err != nil {
		return 0, fmt.Errorf("expiring holds: %w", err)
	}
	return n, nil
}

// expireDue adds the expiry entries of the due holds to the current batch and joins it;
// a nil batch means there was nothing to expire.
func (j *Journal) expireDue(ctx context.Context) (*store.Batch[[]Entry], int, error) {
	cutoff := j.now().Add(-j.expiry).UnixNano()
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.w.Err(); err != nil {
		return nil, 0, err
	}
	n, due := 0, 0
	for ; due < len(j.holds) && j.holds[due].at <= cutoff; due++ {
		t, err := j.tracked(ctx, j.holds[due].id)
		if err != nil {
			j.holds = slices.Delete(j.holds, 0, due)
			return j.joinIf(n), n, fmt.Errorf("expiring holds: %w", err)
		}
		if t.captured || t.expired || t.fee.Gross == 0 {
			continue
		}
		e := j.change(t, 0, EntryExpiry)
		t.expired = true
		bt := j.w.Batch()
		bt.Changes = append(bt.Changes, *e)
		n++
	}
	j.holds = slices.Delete(j.holds, 0, due)
	return j.joinIf(n), n, nil
}

// joinIf joins the current batch when n entries were added to it, else returns nil. j.mu
// must be held.
func (j *Journal) joinIf(n int) *store.Batch[[]Entry] {
	if n == 0 {
		return nil
	}
	return j.w.Join()
}

// sweep expires due holds every interval until Close.
func (j *Journal) sweep(interval time.Duration) {
	defer close(j.swept)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-j.stopSweep:
			return
		case <-tick.C:
		}
		n, err := j.ExpireHolds(context.Background())
		switch {
		case err != nil:
			j.log.Error().Err(err).Msg("expiring uncaptured holds failed")
		case n > 0:
			j.log.Info().Int("holds", n).Msg("uncaptured holds expired")
		}
	}
}

// loadHolds rebuilds the queue of holds from the database: the 0100 sales (ids and times
// read by loadIndex) less those a completion or an expiry already resolved. A hold
// reversed in full stays queued and is skipped when due.
func (j *Journal) loadHolds(ctx context.Context, holds []heldAt) error {
	rs, err := j.db.W.QueryContext(ctx, "SELECT DISTINCT original_id FROM entries WHERE kind IN (?, ?) AND original_id <> 0",
		int(EntryCompletion), int(EntryExpiry))
	if err != nil {
		return fmt.Errorf("reading resolved holds: %w", err)
	}
	defer func() { _ = rs.Close() }()
	resolved := make(map[int64]bool)
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return fmt.Errorf("reading resolved holds: %w", err)
		}
		resolved[id] = true
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading resolved holds: %w", err)
	}
	j.holds = slices.DeleteFunc(holds, func(h heldAt) bool { return resolved[h.id] })
	slices.SortStableFunc(j.holds, func(a, b heldAt) int { return cmp.Compare(a.at, b.at) })
	return nil
}

// isHoldMTI reports whether a sale journaled with mti is a hold (an 0100 or 0101).
func isHoldMTI(mti string) bool { return bandeira.MTI(mti).Class() == '1' }
