package books

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// maxChunk is the most rows one multi-row INSERT writes; larger batches take several.
const maxChunk = 64

// insert is one table's multi-row INSERT, prepared once per row count on first use.
type insert struct {
	head, tail string // "INSERT INTO t (cols) VALUES " and what follows the rows
	tuple      string // "(?, ?, …)", one per row
	stmts      map[int]*sql.Stmt
}

func newInsert(head, tail string, cols int) *insert {
	return &insert{head: head, tail: tail, tuple: "(?" + strings.Repeat(", ?", cols-1) + ")", stmts: make(map[int]*sql.Stmt)}
}

// prepare makes sure the statements for count rows (in chunks of maxChunk) are prepared.
// It must run outside a transaction: the database has a single connection.
func (in *insert) prepare(ctx context.Context, db *sql.DB, count int) error {
	for _, n := range []int{min(count, maxChunk), count % maxChunk} {
		if n == 0 || in.stmts[n] != nil {
			continue
		}
		q := in.head + in.tuple + strings.Repeat(", "+in.tuple, n-1) + in.tail
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("preparing %d-row insert: %w", n, err)
		}
		in.stmts[n] = st
	}
	return nil
}

// exec writes count rows whose arguments args holds, row after row, in chunks.
func (in *insert) exec(ctx context.Context, tx *sql.Tx, args []any, count int) error {
	if count == 0 {
		return nil
	}
	cols := len(args) / count
	for done := 0; done < count; {
		n := min(count-done, maxChunk)
		st := tx.StmtContext(ctx, in.stmts[n])
		_, err := st.ExecContext(ctx, args[done*cols:(done+n)*cols]...)
		_ = st.Close()
		if err != nil {
			return err
		}
		done += n
	}
	return nil
}

func (in *insert) close() error {
	var errs []error
	for _, st := range in.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// statements are the writer's inserts. Only the writer goroutine uses them.
type statements struct {
	account, request, posting, tomb *insert
	args                            []any // reused argument buffer
}

func newStatements() *statements {
	return &statements{
		account: newInsert(`INSERT INTO accounts (id, kind, name, credit_limit, pin_failures) VALUES `,
			` ON CONFLICT (id) DO UPDATE SET pin_failures = excluded.pin_failures`, 5),
		request: newInsert(`INSERT INTO requests (id, key, account_id, kind, amount, status, auth_code, open, state, reversed, created_at) VALUES `,
			` ON CONFLICT (id) DO UPDATE SET open = excluded.open, state = excluded.state, reversed = excluded.reversed`, 11),
		posting: newInsert(`INSERT INTO postings (id, request_id, kind, debit_id, credit_id, amount, at) VALUES `, ``, 7),
		tomb:    newInsert(`INSERT INTO tombstones (key, account_id, at) VALUES `, ``, 3),
	}
}

// prepare prepares the inserts that r needs.
func (s *statements) prepare(ctx context.Context, db *sql.DB, r rows) error {
	return errors.Join(
		s.account.prepare(ctx, db, len(r.accounts)),
		s.request.prepare(ctx, db, len(r.requests)),
		s.posting.prepare(ctx, db, len(r.postings)),
		s.tomb.prepare(ctx, db, len(r.tombs)))
}

func (s *statements) close() error {
	return errors.Join(s.account.close(), s.request.close(), s.posting.close(), s.tomb.close())
}

// accountRow and requestRow are snapshots taken under the mutex, so that the writer never
// reads state that later batches are changing.
type accountRow struct {
	id, limit int64
	kind      uint8
	name      string
	pin       int
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
		out.accounts[i] = accountRow{id: a.id, limit: int64(a.limit), kind: a.kind, name: a.name, pin: a.pin}
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
//
// It yields before taking each batch. close(bt.done) readies the released calls on the
// writer's P; without the yield they wait there until the writer blocks in a syscall or
// another P steals them, and the callers that would join the next batch wait too, so
// batches shrink and every call pays for more commits. With the yield they run first
// (and the batch fills); when nothing else is runnable it costs nothing. Measured in
// docs/ledger.md: about 2.5× on the end-to-end round trip and 1.9× on the ledger alone
// at one requester, with GOMAXPROCS at its default.
func (b *Books) drain() {
	for {
		runtime.Gosched()
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
		b.mu.Lock()
		switch {
		case err == nil:
			b.st.committed = bt.seq // its requests may now leave the cache
			b.metrics.indexed(b.st.keys.len())
		case b.failed == nil:
			b.failed = fmt.Errorf("%w: %w", ErrFailed, err)
			b.log.Error().Err(err).Msg("commit failed; the books answer nothing more until reopened")
		}
		if err != nil {
			err = b.failed
		}
		b.mu.Unlock()
		bt.err = err
		bt.accounts, bt.requests, bt.postings, bt.tombs = nil, nil, nil, nil
		close(bt.done)
	}
}

// commit writes one batch in one transaction.
func (b *Books) commit(r rows, calls int) error {
	start := time.Now()
	ctx := context.Background()
	if err := b.stmts.prepare(ctx, b.db, r); err != nil {
		return err
	}
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning commit: %w", err)
	}
	if err := b.stmts.write(ctx, tx, r); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	b.metrics.observe(calls, time.Since(start))
	return nil
}

// write inserts r's rows with one multi-row statement per table and chunk.
func (s *statements) write(ctx context.Context, tx *sql.Tx, r rows) error {
	args := s.args[:0]
	for _, a := range r.accounts {
		args = append(args, a.id, a.kind, a.name, a.limit, a.pin)
	}
	if err := s.account.exec(ctx, tx, args, len(r.accounts)); err != nil {
		return fmt.Errorf("writing accounts: %w", err)
	}
	args = args[:0]
	for _, q := range r.requests {
		args = append(args, q.id, q.key, q.account, q.kind, q.amount, q.status, q.authCode, q.open, q.state, q.reversed, q.at)
	}
	if err := s.request.exec(ctx, tx, args, len(r.requests)); err != nil {
		return fmt.Errorf("writing requests: %w", err)
	}
	args = args[:0]
	for _, p := range r.postings {
		var req any
		if p.requestID != 0 {
			req = p.requestID
		}
		args = append(args, p.id, req, p.kind, p.debit, p.credit, int64(p.amount), p.at)
	}
	if err := s.posting.exec(ctx, tx, args, len(r.postings)); err != nil {
		return fmt.Errorf("writing postings: %w", err)
	}
	args = args[:0]
	for _, t := range r.tombs {
		args = append(args, t.key, t.account, t.at)
	}
	if err := s.tomb.exec(ctx, tx, args, len(r.tombs)); err != nil {
		return fmt.Errorf("writing tombstones: %w", err)
	}
	clear(args[:cap(args)]) // keep no strings alive between batches
	s.args = args[:0]
	return nil
}
