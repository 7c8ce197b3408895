package acquirer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// Errors of the Journal.
var (
	// ErrJournalClosed reports a Record after Close.
	ErrJournalClosed = errors.New("acquirer: journal closed")
	// ErrJournalFailed reports that an earlier commit failed: the journal records nothing
	// more until it is reopened.
	ErrJournalFailed = errors.New("acquirer: journal failed")
)

// JournalOptions are the collaborators of OpenJournal. The zero value is usable.
type JournalOptions struct {
	// Synchronous is SQLite's synchronous setting: full (the default), normal or off. Use
	// the issuers' books setting, so the two sides are equally durable.
	Synchronous string
	// Log gets component=journal.
	Log zerolog.Logger
	// Now is the clock that dates entries (the sale day in Brasília); nil means time.Now.
	Now func() time.Time
	// Metrics gets the journal's entries and commit durations; nil leaves them unregistered.
	Metrics *Metrics
	// CacheEntries bounds the sales and refunds kept whole in memory, per generation of
	// the cache (so up to twice as many, plus those of the commits in flight); the rest
	// are read from disk when a duplicate or reversal names them. 0 means 16384.
	CacheEntries int
	// KeysInMemory bounds the sale and refund keys indexed in memory, per generation (0
	// means 131072): between one and two times this many of the newest keys are in
	// memory, plus those not yet committed. A key out of memory is looked for on disk (the
	// partial index entries_key), so a duplicate or reversal of an old sale still finds it.
	KeysInMemory int
	// HoldExpiry is how long, by Now, an 0100 hold may stay uncaptured before the journal
	// records its expiry, as the issuers release it: use issuers.ledger.hold_expiry. 0
	// means 7 days.
	HoldExpiry time.Duration
	// SweepInterval is how often the journal looks for holds to expire, besides once at
	// open; 0 means a minute.
	SweepInterval time.Duration

	keyHash func(bandeira.Key) uint64 // tests force collisions; nil means maphash, seeded per journal
}

// Journal is the acquirer's durable journal: every approved sale (priced), refund and
// reversal, in an append-only SQLite table (WAL) at JournalPath(data-dir). Record returns
// only after its entry is committed: calls join the current batch and one writer
// goroutine commits each batch in one transaction (group commit, multi-row INSERTs:
// internal/store), so the gateway never answers an approval the journal could lose. A
// failed commit fails the journal for good (ErrJournalFailed). It is safe for concurrent
// use.
//
// Its memory is bounded (but for the 0100 holds not yet resolved). In memory: a key index
// from a 64-bit hash of the newest sales' and refunds' request keys (in normal form) to
// their entry ids (about 25 bytes an entry, JournalOptions.KeysInMemory, rebuilt on open
// from the newest keys, with an exact map for the rare hash collision), and a cache of the
// sales and refunds recorded or touched lately, whole and with their fee after amendments
// (JournalOptions.CacheEntries); neither drops one whose changes are not yet committed.
// Read from disk, through the read-only handle: a key the index has dropped (by the
// partial index entries_key), and a duplicate's or reversal's original that the cache has
// dropped (the entry by id, and its amendments' fees by the partial index on original_id).
type Journal struct {
	acq     *Acquirer
	db      *store.DB
	scan    *sql.DB // read-only, for Entries: a scan never holds the lookups' connection
	w       *store.Writer[[]Entry, []Entry]
	log     zerolog.Logger
	now     func() time.Time
	metrics *Metrics
	counts  [EntryExpiry + 1]prometheus.Counter
	expiry  time.Duration

	readEntry   *sql.Stmt // selectEntry, on db.R
	readAmended *sql.Stmt // selectAmended, on db.R
	readKey     *sql.Stmt // selectKey, on db.R

	mu     sync.Mutex
	nextID int64
	keys   *store.Index[bandeira.Key]
	cache  *store.Cache[*tracked]
	holds  []heldAt // 0100 holds not yet known to be resolved, in journal order

	stopSweep chan struct{}
	swept     chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// OpenJournal opens (creating if needed) the journal at path, migrates it, rebuilds the
// key index and starts the writer. acq (required) prices partial reversals and
// completions.
func OpenJournal(ctx context.Context, path string, acq *Acquirer, opts JournalOptions) (*Journal, error) {
	if acq == nil {
		return nil, errors.New("opening the journal: no acquirer to price with")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.CacheEntries <= 0 {
		opts.CacheEntries = defaultCacheEntries
	}
	if opts.HoldExpiry <= 0 {
		opts.HoldExpiry = defaultHoldExpiry
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = defaultSweepInterval
	}
	if opts.KeysInMemory <= 0 {
		opts.KeysInMemory = defaultKeysInMemory
	}
	j := &Journal{acq: acq, now: opts.Now, metrics: opts.Metrics, expiry: opts.HoldExpiry, log: opts.Log.With().Str("component", "journal").Logger(),
		stopSweep: make(chan struct{}), swept: make(chan struct{})}
	j.keys = store.NewIndex(store.IndexConfig[bandeira.Key]{Capacity: opts.KeysInMemory, Pending: j.pending,
		Hash: opts.keyHash})
	for k := EntrySale; k <= EntryExpiry; k++ {
		j.counts[k] = opts.Metrics.JournalEntries.WithLabelValues(k.String())
	}
	j.cache = store.NewCache(store.CacheConfig[*tracked]{Capacity: opts.CacheEntries,
		Mark: func(t *tracked) uint64 { return t.seq }, Load: j.load, Reads: opts.Metrics.JournalReads})
	if err := j.open(ctx, path, opts.Synchronous); err != nil {
		_ = j.closeDBs()
		return nil, fmt.Errorf("opening the journal %s: %w", path, err)
	}
	j.log.Info().Int64("entries", j.nextID-1).Int("keys", j.keys.Len()).Int("open_holds", len(j.holds)).
		Msg("journal loaded")
	j.w = j.startWriter()
	if _, err := j.ExpireHolds(ctx); err != nil {
		_ = j.w.Close()
		_ = j.closeDBs()
		return nil, fmt.Errorf("opening the journal %s: %w", path, err)
	}
	go j.sweep(opts.SweepInterval)
	return j, nil
}

// open opens the database, prepares the lookups on its read-only handle, opens the
// handle for Entries and loads the key index.
func (j *Journal) open(ctx context.Context, path, synchronous string) error {
	var err error
	j.db, err = store.Open(ctx, path, store.Config{Synchronous: synchronous, Migrations: journalMigrations})
	if errors.Is(err, store.ErrNewerSchema) {
		err = fmt.Errorf("%w: %w", ErrJournalIncompatible, err)
	}
	if err != nil {
		return err
	}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{{&j.readEntry, selectEntry}, {&j.readAmended, selectAmended}, {&j.readKey, selectKey}} {
		if *p.st, err = j.db.R.PrepareContext(ctx, p.q); err != nil {
			return fmt.Errorf("preparing lookups: %w", err)
		}
	}
	if j.scan, err = store.OpenReadOnly(path, 2); err != nil {
		return err
	}
	return j.loadIndex(ctx)
}

// closeDBs closes the statements and databases open so far.
func (j *Journal) closeDBs() error {
	var errs []error
	for _, st := range []*sql.Stmt{j.readEntry, j.readAmended, j.readKey} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if j.scan != nil {
		errs = append(errs, j.scan.Close())
	}
	if j.db != nil {
		errs = append(errs, j.db.Close())
	}
	return errors.Join(errs...)
}

// Record journals an approved request the acquirer settles and returns once it is
// committed: a purchase or cash withdrawal as a sale priced at fee (what Price returned
// for it; from an 0100 it is a hold, presented once captured), a refund (processing code
// 20) with no fee, and a reversal (0400/0420, repeats included) or a 0220 completion
// advice as the change it makes to its original, matched by field 90 as the issuers match
// it: the original is repriced at the amount the issuer's answer says is still in effect
// (res.Remaining, field 95 of the answer), never raised; a completion also marks its hold
// captured. Anything else, a declined request, a key already journaled, an answer without
// Remaining and a reversal or completion of nothing the journal knows, or that changes
// nothing, record nothing and return nil.
//
// The error is ErrFeeMismatch for a sale whose fee is not for its amount, ctx.Err() when
// ctx ended before the commit (the entry may still commit), ErrJournalFailed,
// ErrJournalClosed, or the error of reading from disk an original the cache has dropped
// (then nothing is recorded).
func (j *Journal) Record(ctx context.Context, a bandeira.Authorization, res bandeira.Result, fee bandeira.Fee) error {
	if !res.Code.Approved() {
		return nil
	}
	kind, ok := kindOf(&a)
	if !ok {
		return nil
	}
	bt, err := j.add(ctx, &a, res, kind, fee)
	if err != nil || bt == nil {
		return err
	}
	if err := bt.Wait(ctx); err != nil {
		return fmt.Errorf("journaling a %s: %w", kind, err)
	}
	return nil
}

// add builds the entry under the mutex and joins the current batch; a nil batch means
// there is nothing to wait for.
func (j *Journal) add(ctx context.Context, a *bandeira.Authorization, res bandeira.Result, kind EntryKind, fee bandeira.Fee) (*store.Batch[[]Entry], error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.w.Err(); err != nil {
		return nil, err
	}
	if kind == EntryReversal || kind == EntryCompletion {
		e, err := j.amend(ctx, a, res, kind)
		if err != nil || e == nil {
			return nil, err
		}
		return j.join(e), nil
	}
	key := a.Key().Normal()
	if dup, err := j.find(ctx, key); err != nil {
		return nil, fmt.Errorf("journaling a %s: %w", kind, err)
	} else if dup != nil {
		return j.join(nil), nil // wait for the batch that holds the original
	}
	e, err := j.newEntry(a, res, kind, fee)
	if err != nil {
		return nil, err
	}
	e.ID = j.nextID
	j.nextID++
	j.keys.Add(key, e.ID)
	j.cache.Add(e.ID, &tracked{entry: e, fee: e.Fee, seq: j.w.Batch().Seq()}, j.w.Committed())
	if e.isHold() {
		j.holds = append(j.holds, heldAt{id: e.ID, at: e.At.UnixNano()})
	}
	return j.join(&e), nil
}

// join appends e (if any) to the current batch and joins it. j.mu must be held.
func (j *Journal) join(e *Entry) *store.Batch[[]Entry] {
	if e != nil {
		bt := j.w.Batch()
		bt.Changes = append(bt.Changes, *e)
	}
	return j.w.Join()
}

// Entries returns every committed entry in id order, from one consistent snapshot, read
// through a read-only handle of its own beside the writer.
func (j *Journal) Entries(ctx context.Context) ([]Entry, error) { return readEntries(ctx, j.scan) }

// Close stops the expiry sweep, commits what is pending, stops the writer and closes the
// database. Record after Close fails with ErrJournalClosed. It is idempotent.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		close(j.stopSweep)
		<-j.swept
		j.closeErr = errors.Join(j.w.Close(), j.closeDBs())
	})
	return j.closeErr
}
