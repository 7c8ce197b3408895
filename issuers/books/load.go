package books

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// load rebuilds the in-memory state from the database: accounts, the key index of the
// requests (with the queue of open holds in the order they were placed, and each card's
// held amount), tombstones, the balances (summed from the postings) and the next ids.
// Requests themselves stay on disk until used.
func load(ctx context.Context, db *sql.DB, engine ledger.Engine, keysInMemory int, keyHash func(bandeira.Key) uint64) (*state, error) {
	var nAccounts, nRequests int
	if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM requests)").
		Scan(&nAccounts, &nRequests); err != nil {
		return nil, fmt.Errorf("counting accounts and requests: %w", err)
	}
	// Sized up front: growing maps of a million entries is most of the time spent loading.
	s := newState(engine, nRequests, keysInMemory, keyHash)
	s.accounts = make(map[ledger.AccountID]*account, nAccounts)
	byID := make(map[int64]*account, nAccounts)
	if err := loadAccounts(ctx, db, s, byID); err != nil {
		return nil, err
	}
	if err := loadRequests(ctx, db, s, byID); err != nil {
		return nil, err
	}
	if err := loadTombstones(ctx, db, s); err != nil {
		return nil, err
	}
	if err := loadPostings(ctx, db, s, byID); err != nil {
		return nil, err
	}
	return s, nil
}

// loadPostings sums every posting into the balances of its two accounts.
func loadPostings(ctx context.Context, db *sql.DB, s *state, byID map[int64]*account) error {
	rs, err := db.QueryContext(ctx, "SELECT id, debit_id, credit_id, amount FROM postings ORDER BY id")
	if err != nil {
		return fmt.Errorf("reading postings: %w", err)
	}
	defer func() { _ = rs.Close() }()
	var id, debit, credit int64
	var amount bandeira.Amount
	for rs.Next() {
		if err := rs.Scan(&id, &debit, &credit, &amount); err != nil {
			return fmt.Errorf("reading postings: %w", err)
		}
		d, c := byID[debit], byID[credit]
		if d == nil || c == nil {
			return fmt.Errorf("reading posting %d: account missing: %w", id, ErrIncompatible)
		}
		d.Balance -= amount
		c.Balance += amount
		s.nextPosting = id + 1
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading postings: %w", err)
	}
	return nil
}

func loadAccounts(ctx context.Context, db *sql.DB, s *state, byID map[int64]*account) error {
	rs, err := db.QueryContext(ctx, "SELECT id, kind, name, credit_limit, pin_failures FROM accounts")
	if err != nil {
		return fmt.Errorf("reading accounts: %w", err)
	}
	defer func() { _ = rs.Close() }()
	for rs.Next() {
		var name string
		a := &account{}
		if err := rs.Scan(&a.id, &a.kind, &name, &a.CreditLimit, &a.PINFailures); err != nil {
			return fmt.Errorf("reading accounts: %w", err)
		}
		byID[a.id] = a
		if err := s.addLoaded(a, name); err != nil {
			return fmt.Errorf("reading account %d: %w", a.id, err)
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading accounts: %w", err)
	}
	return nil
}

// addLoaded adds an account read from disk: a system account in its slot, a card by its
// name.
func (s *state) addLoaded(a *account, name string) error {
	if a.kind == kindSystem {
		if a.id < int64(ledger.Funding) || a.id > int64(ledger.Fees) {
			return fmt.Errorf("system account id %d: %w", a.id, errBadName)
		}
		s.system[a.id] = a
		return nil
	}
	id, err := parseCardName(name)
	if err != nil {
		return err
	}
	if a.id < firstCardAccount {
		return fmt.Errorf("card account below the first card id %d: %w", firstCardAccount, ErrIncompatible)
	}
	a.ID, a.Opened = id, true
	s.addCard(a)
	s.nextAccount = max(s.nextAccount, a.id+1)
	return nil
}

func loadRequests(ctx context.Context, db *sql.DB, s *state, byID map[int64]*account) error {
	rs, err := db.QueryContext(ctx, `SELECT id, key, account_id, kind, open, state, created_at
		FROM requests ORDER BY id`)
	if err != nil {
		return fmt.Errorf("reading requests: %w", err)
	}
	defer func() { _ = rs.Close() }()
	var (
		id, acct, at int64
		text         string
		kind, st     uint8
		open         bandeira.Amount
	)
	for rs.Next() {
		if err := rs.Scan(&id, &text, &acct, &kind, &open, &st, &at); err != nil {
			return fmt.Errorf("reading requests: %w", err)
		}
		k, err := parseKey(text)
		if err != nil {
			return fmt.Errorf("reading request %d: %w", id, err)
		}
		a := byID[acct]
		if a == nil {
			return fmt.Errorf("reading request %d: account %d missing: %w", id, acct, ErrIncompatible)
		}
		s.keys.Add(k, id)
		s.nextRequest = id + 1
		if ledger.Kind(kind) == ledger.Hold && ledger.State(st) == ledger.StateOpen {
			s.holds = append(s.holds, hold{id: id, at: at})
			a.Held += open
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading requests: %w", err)
	}
	// Ids are creation order, but a hold a stand-in advice placed over an older decline
	// was placed later than its id says: expiry needs the queue in placing order.
	slices.SortStableFunc(s.holds, func(a, b hold) int { return cmp.Compare(a.at, b.at) })
	return nil
}

func loadTombstones(ctx context.Context, db *sql.DB, s *state) error {
	rs, err := db.QueryContext(ctx, "SELECT key FROM tombstones")
	if err != nil {
		return fmt.Errorf("reading tombstones: %w", err)
	}
	defer func() { _ = rs.Close() }()
	for rs.Next() {
		var text string
		if err := rs.Scan(&text); err != nil {
			return fmt.Errorf("reading tombstones: %w", err)
		}
		k, err := parseKey(text)
		if err != nil {
			return fmt.Errorf("reading tombstone: %w", err)
		}
		s.tombs[k] = struct{}{}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading tombstones: %w", err)
	}
	return nil
}
