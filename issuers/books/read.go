package books

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// Request is one request as the books keep it, for reports and the network-wide audit:
// its key, what it was, how it was answered and the money it holds in effect now. No
// account is named.
type Request struct {
	Key      bandeira.Key // normal form
	Kind     ledger.Kind
	Type     int // message class × 1,000,000 + processing code; 0 for requests older than it
	Amount   bandeira.Amount
	Status   ledger.Status
	Code     string // the response code of a decline (status declined)
	AuthCode string
	State    ledger.State
	// InEffect is the amount the request holds or has posted now: what is still held by
	// an open hold, what a captured hold captured, what a debit or credit still moves after
	// its reversals; 0 once reversed in full, expired or declined.
	InEffect bandeira.Amount
	StandIn  bool
}

// Approved reports whether the request was approved (by the issuer, or in stand-in).
func (r Request) Approved() bool { return r.Status == ledger.StatusApplied }

// ReadRequests returns every request of the books at path, in id order, from one
// consistent snapshot through a read-only handle: it can run beside the process that owns
// the books.
func ReadRequests(ctx context.Context, path string) ([]Request, error) {
	db, err := store.OpenReadOnly(path, 1)
	if err != nil {
		return nil, fmt.Errorf("reading the requests of %s: %w", path, err)
	}
	defer func() { _ = db.Close() }()
	if err := store.CheckSchema(ctx, db, migrations); err != nil {
		return nil, fmt.Errorf("reading the requests of %s: %w: %w", path, ErrIncompatible, err)
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading the requests of %s: %w", path, err)
	}
	defer func() { _ = tx.Rollback() }()
	rs, err := tx.QueryContext(ctx, `SELECT key, kind, type, amount, status, code, auth_code, state, open, stand_in
		FROM requests ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading the requests of %s: %w", path, err)
	}
	defer func() { _ = rs.Close() }()
	var out []Request
	for rs.Next() {
		var (
			r                   Request
			text                string
			kind, status, state uint8
			open                bandeira.Amount
		)
		if err := rs.Scan(&text, &kind, &r.Type, &r.Amount, &status, &r.Code, &r.AuthCode, &state, &open, &r.StandIn); err != nil {
			return nil, fmt.Errorf("reading the requests of %s: %w", path, err)
		}
		k, err := parseKey(text)
		if err != nil {
			return nil, fmt.Errorf("reading the requests of %s: %w", path, err)
		}
		r.Key, r.Kind, r.Status, r.State = k.Normal(), ledger.Kind(kind), ledger.Status(status), ledger.State(state)
		if r.State == ledger.StateOpen || r.State == ledger.StateCaptured {
			r.InEffect = open
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("reading the requests of %s: %w", path, err)
	}
	return out, nil
}
