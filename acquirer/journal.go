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

	keyHash func(bandeira.Key) uint64 // tests force collisions; nil means maphash, seeded per journal
}

// Journal is the acquirer's durable journal: every approved sale (priced), refund and
// reversal, in an append-only SQLite table (WAL) at JournalPath(data-dir). Record returns
// only after its entry is committed: calls join the current batch and one writer
// goroutine commits each batch in one transaction (group commit, multi-row INSERTs), so
// the gateway never answers an approval the journal could lose. A failed commit fails the
// journal for good (ErrJournalFailed). It is safe for concurrent use.
//
// Its memory is bounded but for a few bytes per sale or refund. In memory: a key index
// from a 64-bit hash of each sale's and refund's request key to its entry id (about 25
// bytes an entry, rebuilt on open from the keys alone, with an exact map for the rare hash
// collision), and a cache of the sales and refunds recorded or touched lately, whole and
// with their fee after amendments (JournalOptions.CacheEntries), which never drops one
// whose changes are not yet committed. Read from disk, on a read-only connection of its
// own: a duplicate's or reversal's original that the cache has dropped (the entry by id,
// and its amendments' fees by the partial index on original_id).
type Journal struct {
	acq     *Acquirer
	db      *sql.DB // the writer's connection and Entries'
	insert  *entryInsert
	log     zerolog.Logger
	now     func() time.Time
	commits prometheus.Observer
	reads   prometheus.Counter
	counts  [EntryCompletion + 1]prometheus.Counter

	rdb         *sql.DB   // lookups under mu: one read-only connection
	readEntry   *sql.Stmt // selectEntry
	readAmended *sql.Stmt // selectAmended

	mu        sync.Mutex
	nextID    int64
	keys      keyIndex
	cache     trackedCache
	committed uint64 // the sequence of the last batch committed
	cur       *journalBatch
	kick      chan struct{}
	closed    bool
	failed    error

	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// journalBatch is the entries one commit writes and the calls that wait for it. Batches
// are numbered from 1 in commit order.
type journalBatch struct {
	seq     uint64
	entries []Entry
	waiters int
	done    chan struct{}
	err     error
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
	j := &Journal{acq: acq, now: opts.Now, insert: newEntryInsert(),
		keys: newKeyIndex(opts.keyHash), cache: newTrackedCache(opts.CacheEntries),
		log:  opts.Log.With().Str("component", "journal").Logger(),
		cur:  &journalBatch{seq: 1, done: make(chan struct{})},
		kick: make(chan struct{}, 1), writerDone: make(chan struct{}), commits: opts.Metrics.JournalCommit, reads: opts.Metrics.JournalReads}
	for k := EntrySale; k <= EntryCompletion; k++ {
		j.counts[k] = opts.Metrics.JournalEntries.WithLabelValues(k.String())
	}
	if err := j.open(ctx, path, opts.Synchronous); err != nil {
		_ = j.closeDBs()
		return nil, fmt.Errorf("opening the journal %s: %w", path, err)
	}
	j.log.Info().Int64("entries", j.nextID-1).Int("keys", len(j.keys.ids)+len(j.keys.exact)).Msg("journal loaded")
	go j.write()
	return j, nil
}

// open opens the writer's and the reader's databases, prepares the reader's statements
// and loads the key index.
func (j *Journal) open(ctx context.Context, path, synchronous string) error {
	var err error
	if j.db, err = openDB(ctx, path, synchronous); err != nil {
		return err
	}
	j.db.SetMaxOpenConns(2) // the writer, and Entries beside it (WAL)
	if j.rdb, err = openReadDB(path); err != nil {
		return err
	}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{{&j.readEntry, selectEntry}, {&j.readAmended, selectAmended}} {
		if *p.st, err = j.rdb.PrepareContext(ctx, p.q); err != nil {
			return fmt.Errorf("preparing lookups: %w", err)
		}
	}
	return j.loadIndex(ctx)
}

// closeDBs closes the statements and databases open so far.
func (j *Journal) closeDBs() error {
	errs := []error{j.insert.close()}
	for _, st := range []*sql.Stmt{j.readEntry, j.readAmended} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, db := range []*sql.DB{j.rdb, j.db} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// Record journals an approved request the acquirer settles and returns once it is
// committed: a purchase or cash withdrawal as a sale priced at fee (what Price returned
// for it), a refund (processing code 20) with no fee, a reversal (0400/0420, repeats
// included) as the change it makes to its original, matched by field 90 as the issuers
// match it. A full reversal cancels the original; a partial one (field 95) reprices it at
// the replacement amount. A 0220 completion advice (field 90) that captures less than its
// sale reprices the sale at the captured amount, as the issuers capture it. Anything else,
// a declined request, a key already journaled and a reversal or completion of nothing the
// journal knows, or that changes nothing, record nothing and return nil.
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
	select {
	case <-bt.done:
		if bt.err != nil {
			return fmt.Errorf("journaling a %s: %w", kind, bt.err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("journaling a %s: %w", kind, ctx.Err())
	}
}

// add builds the entry under the mutex and joins the current batch; a nil batch means
// there is nothing to wait for.
func (j *Journal) add(ctx context.Context, a *bandeira.Authorization, res bandeira.Result, kind EntryKind, fee bandeira.Fee) (*journalBatch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return nil, ErrJournalClosed
	case j.failed != nil:
		return nil, j.failed
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
	j.index(key, e.ID)
	j.touch(&tracked{entry: e, fee: e.Fee}, j.cur.seq)
	return j.join(&e), nil
}

// join appends e (if any) to the current batch and wakes the writer.
// j.mu must be held.
func (j *Journal) join(e *Entry) *journalBatch {
	bt := j.cur
	if e != nil {
		bt.entries = append(bt.entries, *e)
	}
	bt.waiters++
	select {
	case j.kick <- struct{}{}:
	default:
	}
	return bt
}

// Entries returns every committed entry in id order, from one consistent snapshot.
func (j *Journal) Entries(ctx context.Context) ([]Entry, error) { return readEntries(ctx, j.db) }

// Close commits what is pending, stops the writer and closes the database. Record after
// Close fails with ErrJournalClosed. It is idempotent.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		j.mu.Lock()
		j.closed = true
		close(j.kick)
		j.mu.Unlock()
		<-j.writerDone
		j.closeErr = j.closeDBs()
	})
	return j.closeErr
}
