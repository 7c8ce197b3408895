package acquirer

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
)

// find returns the sale or refund journaled under the normalised key k, or nil. A hash hit
// whose entry has another key is a collision, not a match. A key the index has dropped is
// looked for on disk, and so is an entry the cache does not hold; j.mu must be held.
func (j *Journal) find(ctx context.Context, k bandeira.Key) (*tracked, error) {
	if id, ok := j.keys.Candidate(k); ok {
		t, err := j.tracked(ctx, id)
		if err != nil || t.entry.Key.Normal() == k {
			return t, err
		} // else another key with the same hash
	}
	if !j.keys.MayBeDropped(k) {
		return nil, nil
	}
	id, err := j.findOnDisk(ctx, k)
	if err != nil || id == 0 {
		return nil, err
	}
	return j.tracked(ctx, id)
}

// findOnDisk returns the id of the sale or refund journaled under the normalised key k,
// or 0, from the entries of k's terminal and transmission time (entries_key).
func (j *Journal) findOnDisk(ctx context.Context, k bandeira.Key) (int64, error) {
	rs, err := j.readKey.QueryContext(ctx, k.TransmissionTime, k.TerminalID)
	if err != nil {
		return 0, fmt.Errorf("looking for a sale's key on disk: %w", err)
	}
	defer func() { _ = rs.Close() }()
	for rs.Next() {
		var id int64
		var c bandeira.Key
		if err := rs.Scan(&id, &c.AcquirerID, &c.STAN); err != nil {
			return 0, fmt.Errorf("looking for a sale's key on disk: %w", err)
		}
		c.TerminalID, c.TransmissionTime = k.TerminalID, k.TransmissionTime
		if c.Normal() == k {
			return id, nil
		}
	}
	if err := rs.Err(); err != nil {
		return 0, fmt.Errorf("looking for a sale's key on disk: %w", err)
	}
	return 0, nil
}

// pending reports whether entry id has changes not yet committed, so that the key index
// keeps its key (while the index is loaded there is no writer and everything is
// committed). j.mu must be held.
func (j *Journal) pending(id int64) bool {
	return j.w != nil && j.cache.Pending(id, j.w.Committed())
}

// loadIndex rebuilds the key index and the next id from the database (the keys of the
// sales and refunds, nothing else), and the queue of holds not yet resolved.
func (j *Journal) loadIndex(ctx context.Context) error {
	if err := j.db.W.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM entries").Scan(&j.nextID); err != nil {
		return fmt.Errorf("reading the next id: %w", err)
	}
	rs, err := j.db.W.QueryContext(ctx, "SELECT id, acquirer_id, terminal_id, stan, transmission, kind, mti, at FROM entries WHERE kind IN (1, 2)")
	if err != nil {
		return fmt.Errorf("reading the key index: %w", err)
	}
	defer func() { _ = rs.Close() }()
	var holds []heldAt
	for rs.Next() {
		var (
			id, at int64
			kind   int
			mti    string
			k      bandeira.Key
		)
		if err := rs.Scan(&id, &k.AcquirerID, &k.TerminalID, &k.STAN, &k.TransmissionTime, &kind, &mti, &at); err != nil {
			return fmt.Errorf("reading the key index: %w", err)
		}
		j.keys.Add(k.Normal(), id) // the journal never writes a key twice: a taken hash is a collision
		if EntryKind(kind) == EntrySale && isHoldMTI(mti) {
			holds = append(holds, heldAt{id: id, at: at})
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading the key index: %w", err)
	}
	return j.loadHolds(ctx, holds)
}
