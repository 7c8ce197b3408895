package books

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// statements are the writer's prepared statements.
type statements struct {
	account, request, posting, tomb *sql.Stmt
}

func prepare(ctx context.Context, db *sql.DB) (statements, error) {
	var s statements
	var errs []error
	p := func(q string) *sql.Stmt {
		st, err := db.PrepareContext(ctx, q)
		errs = append(errs, err)
		return st
	}
	s.account = p(`INSERT INTO accounts (id, kind, name, credit_limit, balance, held, pin_failures)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET
		balance = excluded.balance, held = excluded.held, pin_failures = excluded.pin_failures`)
	s.request = p(`INSERT INTO requests (id, key, account_id, kind, amount, status, auth_code, open, state, reversed, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET
		open = excluded.open, state = excluded.state, reversed = excluded.reversed`)
	s.posting = p(`INSERT INTO postings (id, request_id, kind, debit_id, credit_id, amount, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	s.tomb = p(`INSERT INTO tombstones (key, account_id, at) VALUES (?, ?, ?)`)
	if err := errors.Join(errs...); err != nil {
		_ = s.close()
		return statements{}, fmt.Errorf("preparing statements: %w", err)
	}
	return s, nil
}

func (s statements) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.account, s.request, s.posting, s.tomb} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// accountRow and requestRow are snapshots taken under the mutex, so that the writer never
// reads state that later batches are changing.
type accountRow struct {
	id, limit, balance, held int64
	kind                     uint8
	name                     string
	pin                      int
}

type requestRow struct {
	id, account, amount, open, at int64
	key, authCode                 string
	kind, status, state           uint8
	reversed                      bool
}

type rows struct {
	accounts []accountRow
	requests []requestRow
	postings []posting
	tombs    []tombstone
}

func (r *rows) empty() bool {
	return len(r.accounts)+len(r.requests)+len(r.postings)+len(r.tombs) == 0
}

func snapshot(bt *batch) rows {
	out := rows{postings: bt.postings, tombs: bt.tombs}
	out.accounts = make([]accountRow, len(bt.accounts))
	for i, a := range bt.accounts {
		out.accounts[i] = accountRow{id: a.id, limit: int64(a.limit), balance: int64(a.balance),
			held: int64(a.held), kind: a.kind, name: a.name, pin: a.pin}
	}
	out.requests = make([]requestRow, len(bt.requests))
	for i, r := range bt.requests {
		out.requests[i] = requestRow{id: r.id, account: r.account.id, amount: int64(r.amount),
			open: int64(r.open), at: r.at, key: r.keyText, authCode: r.authCode, kind: uint8(r.kind),
			status: uint8(r.status), state: r.state, reversed: r.reversed}
	}
	return out
}

// write is the writer goroutine: it commits the current batch whenever there is one, until
// Close closes kick; then it commits what is left and returns.
func (b *Books) write() {
	defer close(b.writerDone)
	for range b.kick {
		b.drain()
	}
	b.drain()
}

// drain commits batches until the current one has no calls.
func (b *Books) drain() {
	for {
		b.mu.Lock()
		bt := b.st.cur
		if bt.calls == 0 {
			b.mu.Unlock()
			return
		}
		b.st.cur = newBatch(bt.seq + 1)
		r := snapshot(bt)
		err := b.failed
		b.mu.Unlock()
		if err == nil && !r.empty() {
			err = b.commit(r, bt.calls)
		}
		if err != nil {
			b.mu.Lock()
			if b.failed == nil {
				b.failed = fmt.Errorf("%w: %w", ErrFailed, err)
				b.log.Error().Err(err).Msg("commit failed; the books answer nothing more until reopened")
			}
			err = b.failed
			b.mu.Unlock()
		}
		bt.err = err
		bt.accounts, bt.requests, bt.postings, bt.tombs = nil, nil, nil, nil
		close(bt.done)
	}
}

// commit writes one batch in one transaction.
func (b *Books) commit(r rows, calls int) error {
	start := time.Now()
	ctx := context.Background()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning commit: %w", err)
	}
	if err := writeRows(ctx, tx, b.stmts, r); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	b.metrics.observe(calls, time.Since(start))
	return nil
}

func writeRows(ctx context.Context, tx *sql.Tx, s statements, r rows) error {
	st := tx.StmtContext(ctx, s.account)
	for _, a := range r.accounts {
		if _, err := st.ExecContext(ctx, a.id, a.kind, a.name, a.limit, a.balance, a.held, a.pin); err != nil {
			return fmt.Errorf("writing account: %w", err)
		}
	}
	st = tx.StmtContext(ctx, s.request)
	for _, q := range r.requests {
		if _, err := st.ExecContext(ctx, q.id, q.key, q.account, q.kind, q.amount, q.status,
			q.authCode, q.open, q.state, q.reversed, q.at); err != nil {
			return fmt.Errorf("writing request: %w", err)
		}
	}
	st = tx.StmtContext(ctx, s.posting)
	for _, p := range r.postings {
		var req any
		if p.requestID != 0 {
			req = p.requestID
		}
		if _, err := st.ExecContext(ctx, p.id, req, p.kind, p.debit, p.credit, int64(p.amount), p.at); err != nil {
			return fmt.Errorf("writing posting: %w", err)
		}
	}
	st = tx.StmtContext(ctx, s.tomb)
	for _, t := range r.tombs {
		if _, err := st.ExecContext(ctx, t.key, t.account, t.at); err != nil {
			return fmt.Errorf("writing tombstone: %w", err)
		}
	}
	return nil
}
