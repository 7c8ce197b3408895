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
}

// Journal is the acquirer's durable journal: every approved sale (priced), refund and
// reversal, in an append-only SQLite table (WAL) at JournalPath(data-dir). Record returns
// only after its entry is committed: calls join the current batch and one writer
// goroutine commits each batch in one transaction (group commit), so the gateway never
// answers an approval the journal could lose. A failed commit fails the journal for good
// (ErrJournalFailed). The sales and refunds are indexed by request key in memory, rebuilt
// on open, for duplicates and reversals. It is safe for concurrent use.
type Journal struct {
	acq     *Acquirer
	db      *sql.DB
	insert  *sql.Stmt
	log     zerolog.Logger
	now     func() time.Time
	commits prometheus.Observer
	counts  [EntryCompletion + 1]prometheus.Counter

	mu     sync.Mutex
	nextID int64
	byKey  map[bandeira.Key]*tracked
	cur    *journalBatch
	kick   chan struct{}
	closed bool
	failed error

	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// tracked is a sale or refund as it stands after its reversals.
type tracked struct {
	entry Entry        // the entry as first recorded
	fee   bandeira.Fee // its fee after every reversal so far
}

// journalBatch is the entries one commit writes and the calls that wait for it.
type journalBatch struct {
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
	db, err := openDB(ctx, path, opts.Synchronous)
	if err != nil {
		return nil, fmt.Errorf("opening the journal %s: %w", path, err)
	}
	db.SetMaxOpenConns(2) // the writer, and a reader beside it (WAL)
	j := &Journal{acq: acq, db: db, now: opts.Now, byKey: make(map[bandeira.Key]*tracked),
		log:  opts.Log.With().Str("component", "journal").Logger(),
		cur:  &journalBatch{done: make(chan struct{})},
		kick: make(chan struct{}, 1), writerDone: make(chan struct{}), commits: opts.Metrics.JournalCommit}
	for k := EntrySale; k <= EntryCompletion; k++ {
		j.counts[k] = opts.Metrics.JournalEntries.WithLabelValues(k.String())
	}
	if err := j.load(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening the journal %s: %w", path, err)
	}
	if j.insert, err = db.PrepareContext(ctx, insertEntry); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening the journal %s: %w", path, err)
	}
	j.log.Info().Int64("entries", j.nextID-1).Msg("journal loaded")
	go j.write()
	return j, nil
}

// load rebuilds the key index and the next id from the database.
func (j *Journal) load(ctx context.Context) error {
	entries, err := readEntries(ctx, j.db)
	if err != nil {
		return err
	}
	j.nextID = 1
	byID := make(map[int64]*tracked, len(entries))
	for _, e := range entries {
		j.nextID = e.ID + 1
		switch e.Kind {
		case EntrySale, EntryRefund:
			t := &tracked{entry: e, fee: e.Fee}
			j.byKey[normalKey(e.Key)] = t
			byID[e.ID] = t
		case EntryReversal, EntryCompletion:
			if t, ok := byID[e.OriginalID]; ok {
				t.fee = add(t.fee, e.Fee)
			}
		}
	}
	return nil
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
// ctx ended before the commit (the entry may still commit), ErrJournalFailed or
// ErrJournalClosed.
func (j *Journal) Record(ctx context.Context, a bandeira.Authorization, res bandeira.Result, fee bandeira.Fee) error {
	if !res.Code.Approved() {
		return nil
	}
	kind, ok := kindOf(&a)
	if !ok {
		return nil
	}
	bt, err := j.add(&a, res, kind, fee)
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
func (j *Journal) add(a *bandeira.Authorization, res bandeira.Result, kind EntryKind, fee bandeira.Fee) (*journalBatch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return nil, ErrJournalClosed
	case j.failed != nil:
		return nil, j.failed
	}
	if kind == EntryReversal || kind == EntryCompletion {
		e, ok := j.amend(a, res, kind)
		if !ok {
			return nil, nil
		}
		return j.join(e), nil
	}
	if _, dup := j.byKey[normalKey(a.Key())]; dup {
		return j.join(nil), nil // wait for the batch that holds the original
	}
	e, err := j.newEntry(a, res, kind, fee)
	if err != nil {
		return nil, err
	}
	e.ID = j.nextID
	j.nextID++
	j.byKey[normalKey(e.Key)] = &tracked{entry: e, fee: e.Fee}
	return j.join(&e), nil
}

// newEntry builds a sale or refund entry.
func (j *Journal) newEntry(a *bandeira.Authorization, res bandeira.Result, kind EntryKind, fee bandeira.Fee) (Entry, error) {
	if kind == EntryRefund {
		fee = refundFee(a.Amount)
	} else if fee.Gross != a.Amount || fee.Gross-fee.MDR != fee.Net {
		return Entry{}, fmt.Errorf("journaling a sale of %d centavos: %w", int64(a.Amount), ErrFeeMismatch)
	}
	brand := res.Brand
	if brand == "" {
		brand = bandeira.BrandOf(a.PAN)
	}
	band := BandAVista
	if ci, err := classify(res.Product, a.Installments); err == nil {
		band = classes[ci].band
	}
	at := j.now()
	return Entry{Kind: kind, At: at, SaleDate: DateOf(at), Key: a.Key(), MTI: a.MTI, TxType: a.TxType(),
		RRN: a.RRN, AuthCode: res.AuthCode, MerchantID: a.MerchantID, Brand: brand, Product: res.Product,
		Band: band, Installments: a.Installments, Issuer: res.Issuer, Fee: fee}, nil
}

// amend builds the entry of a reversal or completion of a known original that changes
// its amount: a reversal keeps field 95's amount (nothing without it), a completion
// captures field 4, never more than remains.
func (j *Journal) amend(a *bandeira.Authorization, res bandeira.Result, kind EntryKind) (*Entry, bool) {
	t, ok := j.byKey[originalKey(a)]
	if !ok || (kind == EntryCompletion && t.entry.Kind != EntrySale) {
		return nil, false
	}
	remaining := t.fee.Gross
	if remaining < 0 {
		remaining = -remaining
	}
	var target bandeira.Amount
	switch {
	case kind == EntryCompletion:
		target = min(max(a.Amount, 0), remaining)
	case a.Replacement != nil && *a.Replacement > 0:
		target = min(*a.Replacement, remaining)
	}
	if target == remaining {
		return nil, false
	}
	orig := &t.entry
	after := refundFee(target)
	if orig.Kind == EntrySale {
		var err error
		if after, _, _, err = j.acq.quote(orig.sale(target)); err != nil {
			j.log.Error().Err(err).Int64("original_id", orig.ID).Msg("repricing a partial reversal failed; reversing in full")
			after = bandeira.Fee{}
		}
	}
	delta := subtract(after, t.fee)
	t.fee = after
	e := *orig
	e.Kind, e.At, e.Key, e.MTI, e.TxType, e.RRN = kind, j.now(), a.Key(), a.MTI, orig.TxType, a.RRN
	e.AuthCode, e.Fee, e.OriginalID, e.OriginalKey = res.AuthCode, delta, orig.ID, orig.Key
	e.ID = j.nextID
	j.nextID++
	return &e, true
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
		j.closeErr = errors.Join(j.insert.Close(), j.db.Close())
	})
	return j.closeErr
}
