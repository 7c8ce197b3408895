package acquirer

import (
	"context"
	"fmt"
	"hash/maphash"

	"github.com/bandeira/bandeira"
)

// keyIndex finds the entry id of every journaled sale and refund by its normalised request
// key, in about 25 bytes an entry: a map from a 64-bit hash of the key to the id. A hit is
// only a candidate: the caller confirms it against the entry's real key. A key whose hash
// an earlier, different key already holds (a collision) goes into exact, checked first.
type keyIndex struct {
	hash  func(bandeira.Key) uint64
	ids   map[uint64]int64
	exact map[bandeira.Key]int64
}

func newKeyIndex(hash func(bandeira.Key) uint64) keyIndex {
	if hash == nil {
		seed := maphash.MakeSeed()
		hash = func(k bandeira.Key) uint64 { return maphash.Comparable(seed, k) }
	}
	return keyIndex{hash: hash, ids: make(map[uint64]int64), exact: make(map[bandeira.Key]int64)}
}

// find returns the sale or refund journaled under the normalised key k, or nil. A hash hit
// whose entry has another key is a collision, not a match. It reads from disk what the
// cache does not hold; j.mu must be held.
func (j *Journal) find(ctx context.Context, k bandeira.Key) (*tracked, error) {
	id, ok := j.keys.exact[k]
	if !ok {
		if id, ok = j.keys.ids[j.keys.hash(k)]; !ok {
			return nil, nil
		}
	}
	t, err := j.tracked(ctx, id)
	if err != nil || t.entry.Key.Normal() != k {
		return nil, err
	}
	return t, nil
}

// index adds the normalised key k of entry id, which find did not match. j.mu must be held.
func (j *Journal) index(k bandeira.Key, id int64) {
	h := j.keys.hash(k)
	if _, taken := j.keys.ids[h]; taken {
		j.keys.exact[k] = id
		return
	}
	j.keys.ids[h] = id
}

// loadIndex rebuilds the key index and the next id from the database: the keys of the
// sales and refunds, nothing else.
func (j *Journal) loadIndex(ctx context.Context) error {
	if err := j.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM entries").Scan(&j.nextID); err != nil {
		return fmt.Errorf("reading the next id: %w", err)
	}
	rs, err := j.db.QueryContext(ctx, "SELECT id, acquirer_id, terminal_id, stan, transmission FROM entries WHERE kind IN (1, 2)")
	if err != nil {
		return fmt.Errorf("reading the key index: %w", err)
	}
	defer func() { _ = rs.Close() }()
	for rs.Next() {
		var (
			id int64
			k  bandeira.Key
		)
		if err := rs.Scan(&id, &k.AcquirerID, &k.TerminalID, &k.STAN, &k.TransmissionTime); err != nil {
			return fmt.Errorf("reading the key index: %w", err)
		}
		j.index(k.Normal(), id) // the journal never writes a key twice: a taken hash is a collision
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading the key index: %w", err)
	}
	return nil
}
