package saf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/iso"
)

// migrations are the queues' schema versions. The tables are append-only: an item is
// written when it is enqueued and its outcome when it is done; the items still to send
// are those without an outcome.
var migrations = []string{
	`CREATE TABLE items (
		id          INTEGER PRIMARY KEY,
		queue       TEXT    NOT NULL,  -- the link, e.g. "gateway->network:visa"
		enqueued_at INTEGER NOT NULL,  -- Unix nanoseconds
		mti         TEXT    NOT NULL,
		key         TEXT    NOT NULL,  -- acquirer ID/terminal/STAN/transmission time
		payload     BLOB    NOT NULL   -- the packed message, sealed
	);
	CREATE TABLE outcomes (
		item_id  INTEGER PRIMARY KEY REFERENCES items (id),
		at       INTEGER NOT NULL,
		attempts INTEGER NOT NULL,
		result   TEXT    NOT NULL,     -- acknowledged, refused, expired
		code     TEXT    NOT NULL      -- field 39 of the answer; '' when expired
	);`,
}

// The results of an attempt: the values of bandeira_saf_sent_total's result label.
const (
	resultAcknowledged = "acknowledged" // answered 00: done
	resultRefused      = "refused"      // answered a final code other than 00: done
	resultRetried      = "retried"      // no decision (error, timeout, 91, 96): tried again later
	resultExpired      = "expired"      // older than MaxAge: dropped
)

const (
	insertItem     = `INSERT INTO items (id, queue, enqueued_at, mti, key, payload) VALUES `
	itemColumns    = 6
	insertOutcome  = `INSERT INTO outcomes (item_id, at, attempts, result, code) VALUES `
	outcomeColumns = 5
	selectPending  = `SELECT i.id, i.queue, i.enqueued_at, i.key, i.payload FROM items i
		LEFT JOIN outcomes o ON o.item_id = i.id WHERE o.item_id IS NULL ORDER BY i.id`
)

// changes are what a batch commits.
type changes struct {
	items    []itemRow
	outcomes []outcomeRow
}

type itemRow struct {
	id      int64
	queue   string
	at      int64
	mti     string
	key     string
	payload []byte
}

type outcomeRow struct {
	itemID   int64
	at       int64
	attempts int
	result   string
	code     string
}

// stage stages a batch's rows on the inserts (the Writer's goroutine).
func (s *Store) stage(c changes) {
	for _, r := range c.items {
		s.items.Add(r.id, r.queue, r.at, r.mti, r.key, r.payload)
	}
	for _, r := range c.outcomes {
		s.outs.Add(r.itemID, r.at, r.attempts, r.result, r.code)
	}
}

// load reads the next id and every item without an outcome, unsealing and decoding each.
func (s *Store) load(ctx context.Context) error {
	if err := s.db.W.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM items").Scan(&s.nextID); err != nil {
		return fmt.Errorf("reading the next id: %w", err)
	}
	rs, err := s.db.W.QueryContext(ctx, selectPending)
	if err != nil {
		return fmt.Errorf("reading the pending items: %w", err)
	}
	defer func() { _ = rs.Close() }()
	for rs.Next() {
		var (
			it      item
			at      int64
			payload []byte
		)
		if err := rs.Scan(&it.id, &it.queue, &at, &it.key, &payload); err != nil {
			return fmt.Errorf("reading the pending items: %w", err)
		}
		if it.msg, err = s.unseal(payload); err != nil {
			return fmt.Errorf("reading item %d: %w", it.id, err)
		}
		it.orig = it.msg.OriginalKey().Normal()
		it.enqueued = time.Unix(0, at)
		it.due = it.enqueued
		s.loaded[it.queue] = append(s.loaded[it.queue], &it)
		s.waiting[it.waitKey()] = committed()
	}
	return rs.Err()
}

// unseal opens and decodes a stored message.
func (s *Store) unseal(payload []byte) (bandeira.Authorization, error) {
	body, err := s.opts.Sealer.Open(payload)
	if err != nil {
		return bandeira.Authorization{}, err
	}
	m, err := iso.Unpack(body)
	if err != nil {
		return bandeira.Authorization{}, err
	}
	return iso.ToAuthorization(m)
}

// keyText is a request key as the table shows it.
func keyText(k bandeira.Key) string {
	return strings.Join([]string{k.AcquirerID, k.TerminalID, k.STAN, k.TransmissionTime}, "/")
}

// Pending is an item waiting in a queue, as Read reports it: no card data.
type Pending struct {
	Queue    string    `json:"queue"`
	MTI      string    `json:"mti"`
	Key      string    `json:"key"`
	Enqueued time.Time `json:"enqueued"`
}

// Read returns the items still to be delivered in the store at path, from one consistent
// snapshot and without unsealing anything; it can run beside the process that owns the
// store. A path with no store reads as empty.
func Read(ctx context.Context, path string) ([]Pending, error) {
	db, err := store.OpenReadOnly(path, 1)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	rs, err := db.QueryContext(ctx, `SELECT i.queue, i.mti, i.key, i.enqueued_at FROM items i
		LEFT JOIN outcomes o ON o.item_id = i.id WHERE o.item_id IS NULL ORDER BY i.id`)
	if err != nil {
		return nil, fmt.Errorf("reading the queues in %s: %w", path, err)
	}
	defer func() { _ = rs.Close() }()
	var out []Pending
	for rs.Next() {
		var p Pending
		var at int64
		if err := rs.Scan(&p.Queue, &p.MTI, &p.Key, &at); err != nil {
			return nil, fmt.Errorf("reading the queues in %s: %w", path, err)
		}
		p.Enqueued = time.Unix(0, at).UTC()
		out = append(out, p)
	}
	return out, rs.Err()
}
