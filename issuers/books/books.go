package books

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/bandeira/bandeira/issuers/ledger"
)

// Errors of Books.
var (
	// ErrClosed reports a call after Close.
	ErrClosed = errors.New("books: closed")
	// ErrIncompatible reports a database this binary cannot use: a newer schema, or books
	// seeded from a different card configuration (start over with `bandeira run --reset`).
	ErrIncompatible = errors.New("books: incompatible database")
	// ErrFailed reports that an earlier commit failed: the in-memory state may be ahead of
	// the disk, so the books answer nothing more until they are reopened.
	ErrFailed = errors.New("books: failed")
)

// Options are the collaborators of Open. The zero value is usable.
type Options struct {
	// Issuer names the books in logs and metric labels, e.g. "nubank".
	Issuer string
	// Log gets component=books.
	Log zerolog.Logger
	// Metrics may be nil.
	Metrics *Metrics
	// Now is the ledger clock (hold expiry); nil means time.Now. Ledger time never goes
	// backwards: a clock that does is held at its latest reading.
	Now func() time.Time
	// Fingerprint names the card configuration the books are seeded from (seed and
	// opening ranges). It is stored on first open; a later Open with a different one
	// fails with ErrIncompatible. Empty skips the check.
	Fingerprint string
	// CacheRequests is how many recently used requests are kept whole in memory (0 means
	// DefaultCacheRequests); older ones are read back from disk by id when a retransmit,
	// reversal, capture or expiry needs them. Every key stays indexed in memory.
	CacheRequests int
}

// Books is one issuer's durable ledger: an SQLite database (WAL, synchronous=FULL by
// default) holding accounts, requests (idempotency keys and holds), double-entry postings
// and tombstones. Memory holds every account, a compact index of every request key, the
// queue of open holds and the recently used requests; older requests are read back from
// disk by id. Decisions are taken in memory under one mutex; their changes join the
// current batch, which a single writer commits in one transaction (group commit). Every
// call returns only after the batch holding its effects, and every batch before it, has
// committed, so nothing it answers can be lost to a crash (reliability.md R9). It satisfies the issuers.Ledger interface and is safe
// for concurrent use.
type Books struct {
	cfg     Config
	opts    Options
	log     zerolog.Logger
	metrics *bookMetrics
	db      *sql.DB
	stmts   *statements
	reader  *sql.DB   // read-only connection for requests out of the cache
	byID    *sql.Stmt // on reader

	mu     sync.Mutex
	st     *state
	lastAt int64
	kick   chan struct{}
	closed bool
	failed error

	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// Open opens (creating if needed) the books at path, migrates the schema, loads the state
// and starts the writer. The directory of path is created with mode 0o750.
func Open(ctx context.Context, path string, cfg Config, opts Options) (*Books, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("opening books: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("opening books: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path, cfg.Synchronous))
	if err != nil {
		return nil, fmt.Errorf("opening books %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	b, err := open(ctx, db, path, cfg, opts)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening books %s: %w", path, err)
	}
	return b, nil
}

// selectRequest reads one request back by id (the primary key).
const selectRequest = `SELECT key, account_id, kind, amount, status, auth_code, open, state, reversed,
	created_at FROM requests WHERE id = ?`

// openReader opens the read-only connection that reads requests out of the cache back
// by id. Under WAL it reads the last committed state beside the writer, never waiting for it.
func openReader(ctx context.Context, path string) (*sql.DB, *sql.Stmt, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, nil, fmt.Errorf("opening the reader: %w", err)
	}
	db.SetMaxOpenConns(1)
	st, err := db.PrepareContext(ctx, selectRequest)
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("preparing the reader: %w", err)
	}
	return db, st, nil
}

// fetch reads request id's row through the reader.
func (b *Books) fetch(id int64) (storedRequest, error) {
	b.metrics.read()
	var r storedRequest
	err := b.byID.QueryRow(id).Scan(&r.key, &r.account, &r.kind, &r.amount, &r.status, &r.authCode,
		&r.open, &r.state, &r.reversed, &r.at)
	return r, err
}

// dsn is the database's connection string: WAL, the configured synchronous setting,
// immediate write transactions.
func dsn(path, sync string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync +
		")&_pragma=busy_timeout(5000)&_pragma=foreign_keys(OFF)&_txlock=immediate"
}

func open(ctx context.Context, db *sql.DB, path string, cfg Config, opts Options) (*Books, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheRequests <= 0 {
		opts.CacheRequests = DefaultCacheRequests
	}
	if err := migrate(ctx, db); err != nil {
		return nil, err
	}
	if err := checkFingerprint(ctx, db, opts.Fingerprint); err != nil {
		return nil, err
	}
	b := &Books{
		cfg: cfg, opts: opts, db: db, stmts: newStatements(),
		log:        opts.Log.With().Str("component", "books").Str("issuer", opts.Issuer).Logger(),
		metrics:    opts.Metrics.forIssuer(opts.Issuer),
		kick:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
	}
	var err error
	if b.reader, b.byID, err = openReader(ctx, path); err != nil {
		return nil, err
	}
	start := time.Now()
	if b.st, err = load(ctx, db, int64(cfg.HoldExpiry), opts.CacheRequests, b.fetch); err != nil {
		_ = b.reader.Close()
		return nil, fmt.Errorf("loading state: %w", err)
	}
	b.log.Info().Int("accounts", len(b.st.accounts)).Int("requests", b.st.keys.len()).
		Dur("took", time.Since(start)).Msg("books loaded")
	b.metrics.indexed(b.st.keys.len())
	go b.write()
	return b, nil
}

func checkFingerprint(ctx context.Context, db *sql.DB, fp string) error {
	if fp == "" {
		return nil
	}
	var stored string
	err := db.QueryRowContext(ctx, "SELECT value FROM meta WHERE name = 'fingerprint'").Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = db.ExecContext(ctx, "INSERT INTO meta (name, value) VALUES ('fingerprint', ?)", fp)
		if err != nil {
			return fmt.Errorf("storing fingerprint: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading fingerprint: %w", err)
	case stored != fp:
		return fmt.Errorf("books seeded from cards %q, config says %q: %w", stored, fp, ErrIncompatible)
	}
	return nil
}

// clock returns ledger time in Unix nanoseconds, never going backwards. b.mu must be held.
func (b *Books) clock() int64 {
	if t := b.opts.Now().UnixNano(); t > b.lastAt {
		b.lastAt = t
	}
	return b.lastAt
}

// Apply performs e (see ledger.Entry and the package documentation) and returns once its
// effects are committed. Declines, duplicates and conflicts are statuses. The error wraps
// ledger.ErrInvalidEntry for a malformed entry (nothing changed), ctx.Err() when ctx ended
// before the commit (the entry may still commit: a retransmit gets the stored answer),
// ErrFailed after a failed commit, or ErrClosed.
func (b *Books) Apply(ctx context.Context, e ledger.Entry) (ledger.Outcome, error) {
	if err := check(e); err != nil {
		return ledger.Outcome{}, err
	}
	e.Key = e.Key.Normal()
	var out ledger.Outcome
	bt, err := b.do(func(at int64) (err error) {
		out, err = b.st.apply(e, at)
		return err
	})
	if err != nil {
		return ledger.Outcome{}, fmt.Errorf("applying %s: %w", e.Kind, err)
	}
	if err := b.wait(ctx, bt); err != nil {
		return ledger.Outcome{}, fmt.Errorf("applying %s: %w", e.Kind, err)
	}
	return out, nil
}

// Balances reads an account (after expiring the holds that are due), once every change it
// can see has committed. An account never touched reads as its opening.
func (b *Books) Balances(ctx context.Context, ref ledger.Ref) (ledger.Balances, error) {
	var bal ledger.Balances
	bt, err := b.do(func(at int64) error {
		if err := b.st.expire(at); err != nil {
			return err
		}
		bal = b.st.balancesOf(ref)
		return nil
	})
	if err == nil {
		err = b.wait(ctx, bt)
	}
	if err != nil {
		return ledger.Balances{}, fmt.Errorf("reading balances: %w", err)
	}
	return bal, nil
}

// PINTry records a PIN check and returns the consecutive failures after it, once
// committed: a correct PIN resets the count, a wrong one adds 1.
func (b *Books) PINTry(ctx context.Context, ref ledger.Ref, ok bool) (int, error) {
	var n int
	bt, err := b.do(func(at int64) error {
		if err := b.st.expire(at); err != nil {
			return err
		}
		n = b.st.pinTry(ref, ok, at)
		return nil
	})
	if err == nil {
		err = b.wait(ctx, bt)
	}
	if err != nil {
		return 0, fmt.Errorf("recording PIN try: %w", err)
	}
	return n, nil
}

// Expire releases the holds that are due at the ledger clock's current time and returns
// once that is committed. Apply, Balances and PINTry do the same first; Expire serves
// books that get no other call.
func (b *Books) Expire(ctx context.Context) error {
	bt, err := b.do(b.st.expire)
	if err == nil {
		err = b.wait(ctx, bt)
	}
	if err != nil {
		return fmt.Errorf("expiring holds: %w", err)
	}
	return nil
}

// Requests returns the number of requests the books remember (approved and declined).
func (b *Books) Requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st.keys.len()
}

// do runs f on the state under the mutex and joins the current batch, which commits
// whatever f changed even when f fails.
func (b *Books) do(f func(at int64) error) (*batch, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return nil, ErrClosed
	case b.failed != nil:
		return nil, b.failed
	}
	err := f(b.clock())
	bt := b.st.cur
	bt.calls++
	select {
	case b.kick <- struct{}{}:
	default:
	}
	return bt, err
}

// wait blocks until bt has committed or ctx ends.
func (b *Books) wait(ctx context.Context, bt *batch) error {
	select {
	case <-bt.done:
		return bt.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits what is pending, stops the writer and closes the database. Calls after
// Close fail with ErrClosed. It is idempotent.
func (b *Books) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		close(b.kick)
		b.mu.Unlock()
		<-b.writerDone
		b.closeErr = errors.Join(b.stmts.close(), b.db.Close(), b.byID.Close(), b.reader.Close())
	})
	return b.closeErr
}

func check(e ledger.Entry) error {
	switch e.Kind {
	case ledger.Hold, ledger.Debit, ledger.Credit, ledger.Capture:
		if e.Amount <= 0 {
			return fmt.Errorf("applying %s of %s: %w", e.Kind, e.Amount, ledger.ErrInvalidEntry)
		}
	case ledger.Reverse:
	default:
		return fmt.Errorf("applying entry kind %d: %w", e.Kind, ledger.ErrInvalidEntry)
	}
	return nil
}
