package books

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
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
	// reversal, capture or expiry needs them.
	CacheRequests int
	// KeysInMemory bounds the request keys indexed in memory, per generation (0 means
	// DefaultKeysInMemory): between one and two times this many of the newest keys are
	// in memory, plus those of requests not yet committed. A key out of memory is looked
	// for on disk (the requests' key index), so the books still answer every key they
	// ever stored the same.
	KeysInMemory int

	keyHash func(bandeira.Key) uint64 // the key index's hash; nil: maphash, seeded per open (tests force collisions)
}

// Books is one issuer's durable ledger: an SQLite database (WAL, synchronous=FULL by
// default) holding accounts, requests (idempotency keys and holds), double-entry postings
// and tombstones. Memory holds every account, a compact index of the newest request keys,
// the queue of open holds and the recently used requests; older requests are read back from
// disk by id, and older keys looked for on disk by key. Decisions are ledger.Engine's, taken in memory under one mutex; their
// changes join the current batch, which a single writer commits in one transaction (group
// commit, internal/store). Every call returns only after the batch holding its effects,
// and every batch before it, has committed, so nothing it answers can be lost to a crash.
// It satisfies the issuers.Ledger interface and is safe for concurrent use.
type Books struct {
	log     zerolog.Logger
	metrics *bookMetrics
	db      *store.DB
	w       *store.Writer[changes, rows]
	byID    *sql.Stmt // on db.R: a request out of the cache, by id
	byKey   *sql.Stmt // on db.R: a request whose key is out of memory, by key

	mu    sync.Mutex
	st    *state
	clock ledger.Clock

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the books at path, migrates the schema, loads the state
// and starts the writer. The directory of path is created with mode 0o750.
func Open(ctx context.Context, path string, cfg Config, opts Options) (*Books, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("opening books: %w", err)
	}
	db, err := store.Open(ctx, path, store.Config{Synchronous: cfg.Synchronous, Migrations: migrations})
	if errors.Is(err, store.ErrNewerSchema) {
		err = fmt.Errorf("%w: %w", ErrIncompatible, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening books: %w", err)
	}
	b, err := open(ctx, db, cfg, opts)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening books %s: %w", path, err)
	}
	return b, nil
}

// selectRequest reads one request back by id (the primary key).
const selectRequest = `SELECT key, account_id, kind, type, amount, status, code, auth_code, open, state,
	reversed, stand_in, created_at FROM requests WHERE id = ?`

// selectKey finds a request by key (the requests_key index).
const selectKey = `SELECT id FROM requests WHERE key = ?`

// findKey looks for the request stored under k on disk, through the read-only handle: for
// a key the in-memory index no longer holds. Only committed requests are there, which is
// enough: the index never drops the key of a request not yet committed.
func (b *Books) findKey(k bandeira.Key) (int64, bool, error) {
	var id int64
	err := b.byKey.QueryRowContext(context.Background(), keyText(k)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("looking for request %s on disk: %w", keyText(k), err)
	}
	return id, true, nil
}

// fetch reads request id back through the read-only handle.
func (b *Books) fetch(ctx context.Context, id int64) (*request, error) {
	var r storedRequest
	err := b.byID.QueryRowContext(ctx, id).Scan(&r.key, &r.account, &r.kind, &r.typ, &r.amount, &r.status, &r.code,
		&r.authCode, &r.open, &r.state, &r.reversed, &r.standIn, &r.at)
	if err != nil {
		return nil, fmt.Errorf("reading request %d: %w", id, err)
	}
	return b.st.fromRow(id, r)
}

func open(ctx context.Context, db *store.DB, cfg Config, opts Options) (*Books, error) {
	if opts.CacheRequests <= 0 {
		opts.CacheRequests = DefaultCacheRequests
	}
	if opts.KeysInMemory <= 0 {
		opts.KeysInMemory = DefaultKeysInMemory
	}
	if err := checkFingerprint(ctx, db.W, opts.Fingerprint); err != nil {
		return nil, err
	}
	b := &Books{db: db, clock: ledger.NewClock(opts.Now),
		log:     opts.Log.With().Str("component", "books").Str("issuer", opts.Issuer).Logger(),
		metrics: opts.Metrics.forIssuer(opts.Issuer)}
	var err error
	if b.byID, err = db.R.PrepareContext(ctx, selectRequest); err != nil {
		return nil, fmt.Errorf("preparing the reader: %w", err)
	}
	if b.byKey, err = db.R.PrepareContext(ctx, selectKey); err != nil {
		_ = b.byID.Close()
		return nil, fmt.Errorf("preparing the reader: %w", err)
	}
	start := time.Now()
	engine := ledger.Engine{HoldExpiry: cfg.HoldExpiry}
	if b.st, err = load(ctx, db.W, engine, opts.KeysInMemory, opts.keyHash); err != nil {
		_ = b.byID.Close()
		_ = b.byKey.Close()
		return nil, fmt.Errorf("loading state: %w", err)
	}
	b.st.findKey = b.findKey
	b.st.cache = store.NewCache(store.CacheConfig[*request]{Capacity: opts.CacheRequests,
		Mark: func(r *request) uint64 { return r.mark }, Load: b.fetch, Reads: b.metrics.store.Reads})
	b.log.Info().Int("accounts", len(b.st.accounts)).Int64("requests", b.st.nextRequest-1).
		Int("keys_in_memory", b.st.keys.Len()).
		Float64("took_ms", float64(time.Since(start))/float64(time.Millisecond)).Msg("books loaded")
	b.metrics.indexed(int(b.st.nextRequest - 1))
	b.w = b.startWriter()
	return b, nil
}

// startWriter starts the group-commit writer of the books' batches.
func (b *Books) startWriter() *store.Writer[changes, rows] {
	ins := newInserts()
	return store.NewWriter(b.db, store.WriterConfig[changes, rows]{
		Mu:        &b.mu,
		Take:      snapshot,
		Stage:     ins.stage,
		Inserts:   ins.all(),
		Committed: func(uint64, rows) { b.metrics.indexed(int(b.st.nextRequest - 1)) },
		Failed: func(err error) {
			b.log.Error().Err(err).Msg("commit failed; the books answer nothing more until reopened")
		},
		Metrics:   b.metrics.store,
		ErrClosed: ErrClosed,
		ErrFailed: ErrFailed,
	})
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

// Apply performs e (see ledger.Entry and the package documentation) and returns once its
// effects are committed. Declines, duplicates and conflicts are statuses. The error wraps
// ledger.ErrInvalidEntry for a malformed entry (nothing changed), ctx.Err() when ctx ended
// before the commit (the entry may still commit: a retransmit gets the stored answer),
// ErrFailed after a failed commit, or ErrClosed.
func (b *Books) Apply(ctx context.Context, e ledger.Entry) (ledger.Outcome, error) {
	if err := e.Validate(); err != nil {
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
	if err := bt.Wait(ctx); err != nil {
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
		_, a := b.st.accountOf(ref)
		bal = a.Balances()
		return nil
	})
	if err == nil {
		err = bt.Wait(ctx)
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
		err = bt.Wait(ctx)
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
	bt, err := b.do(func(at int64) error { return b.st.expire(at) })
	if err == nil {
		err = bt.Wait(ctx)
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
	return int(b.st.nextRequest - 1)
}

// do runs f on the state under the mutex, at the ledger clock's time, and joins the
// current batch, which commits whatever f changed even when f fails.
func (b *Books) do(f func(at int64) error) (*store.Batch[changes], error) {
	return b.w.Do(func(bt *store.Batch[changes]) error {
		b.st.cur, b.st.seq, b.st.committed = &bt.Changes, bt.Seq(), b.w.Committed()
		return f(b.clock.Now())
	})
}

// Close commits what is pending, stops the writer and closes the database. Calls after
// Close fail with ErrClosed. It is idempotent.
func (b *Books) Close() error {
	b.closeOnce.Do(func() {
		b.closeErr = errors.Join(b.w.Close(), b.byID.Close(), b.byKey.Close(), b.db.Close())
	})
	return b.closeErr
}
