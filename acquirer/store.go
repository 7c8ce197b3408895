package acquirer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// ErrJournalIncompatible reports a journal database with a schema newer than this binary's.
var ErrJournalIncompatible = errors.New("acquirer: incompatible journal")

// journalMigrations are the journal's schema versions in order (internal/store applies
// them; PRAGMA user_version counts those applied). Never edit a released migration: append
// a new one.
//
// Kinds are EntryKind values: 1 sale, 2 refund, 3 reversal, 4 completion, 5 expiry
// (migration 1's comment predates the last two).
//
// The entries table is append-only and keyed by its sequential id, so group commit appends
// to the last page of its B-tree (docs/economics.md). Two secondary indexes are partial:
// migration 2's holds reversals and completions only (original_id <> 0), migration 3's
// sales and refunds by transmission time and terminal, so that entries arriving in time
// order append to its last pages too.
var journalMigrations = []string{
	`CREATE TABLE entries (
		id               INTEGER PRIMARY KEY,  -- sequential from 1, assigned in memory
		kind             INTEGER NOT NULL,     -- 1 sale, 2 refund, 3 reversal
		at               INTEGER NOT NULL,     -- Unix nanoseconds
		sale_date        TEXT    NOT NULL,     -- YYYY-MM-DD in Brasília (a reversal: its original's)
		acquirer_id      TEXT    NOT NULL,     -- the request key: fields 32, 41, 11, 7
		terminal_id      TEXT    NOT NULL,
		stan             TEXT    NOT NULL,
		transmission     TEXT    NOT NULL,
		mti              TEXT    NOT NULL,
		tx_type          TEXT    NOT NULL,
		rrn              TEXT    NOT NULL,
		auth_code        TEXT    NOT NULL,
		merchant_id      TEXT    NOT NULL,
		brand            TEXT    NOT NULL,
		product          TEXT    NOT NULL,
		band             TEXT    NOT NULL,
		installment_plan TEXT    NOT NULL,     -- '' à vista, '1' lojista, '2' emissor
		installments     INTEGER NOT NULL,
		issuer           TEXT    NOT NULL,
		gross            INTEGER NOT NULL,     -- centavos, signed
		mdr              INTEGER NOT NULL,
		interchange      INTEGER NOT NULL,
		brand_fee        INTEGER NOT NULL,
		margin           INTEGER NOT NULL,
		net              INTEGER NOT NULL,
		original_id      INTEGER NOT NULL,     -- a reversal: the entry it cancels; else 0
		orig_acquirer_id TEXT    NOT NULL,
		orig_terminal_id TEXT    NOT NULL,
		orig_stan        TEXT    NOT NULL,
		orig_transmission TEXT   NOT NULL,
		CHECK (interchange + brand_fee + margin = mdr AND gross - mdr = net)
	);`,
	// The amendments of an entry, to sum its fee after them when it is read from disk.
	`CREATE INDEX entries_original ON entries (original_id) WHERE original_id <> 0;`,
	// Sales and refunds by the transmission time and terminal of their request key, for
	// the keys the in-memory index has dropped: the few entries of one terminal in one
	// second are then compared by key in normal form. Plain columns (no expression to
	// compute per row), and the transmission time leads, so that entries arriving in time
	// order land on the index's last pages.
	`CREATE INDEX entries_key ON entries (transmission, terminal_id) WHERE kind IN (1, 2);`,
}

const entryColumns = `id, kind, at, sale_date, acquirer_id, terminal_id, stan, transmission, mti, tx_type,
	rrn, auth_code, merchant_id, brand, product, band, installment_plan, installments, issuer,
	gross, mdr, interchange, brand_fee, margin, net, original_id,
	orig_acquirer_id, orig_terminal_id, orig_stan, orig_transmission`

// entryColumnCount is how many columns entryColumns names.
const entryColumnCount = 30

// The lookups of the journal's read-only handle, for originals the cache has dropped.
const (
	selectEntry = `SELECT ` + entryColumns + ` FROM entries WHERE id = ?`
	// selectAmended sums the fees of an entry's reversals, completions and expiry, and
	// says whether a completion captured it and whether it expired; the original_id <> 0
	// term lets SQLite use the partial index entries_original.
	selectAmended = `SELECT COALESCE(SUM(gross), 0), COALESCE(SUM(mdr), 0), COALESCE(SUM(interchange), 0),
	COALESCE(SUM(brand_fee), 0), COALESCE(SUM(margin), 0), COALESCE(SUM(net), 0),
	COALESCE(MAX(kind = 4), 0), COALESCE(MAX(kind = 5), 0)
	FROM entries WHERE original_id = ? AND original_id <> 0`
	// selectKey lists the sales and refunds of one terminal and transmission time, with
	// the rest of their keys; the kind term lets SQLite use the partial index entries_key.
	selectKey = `SELECT id, acquirer_id, stan FROM entries WHERE transmission = ? AND terminal_id = ?
	AND kind IN (1, 2) ORDER BY id`
)

// JournalPath returns where the journal lives under a data directory:
// <data-dir>/acquirer/journal.db.
func JournalPath(dataDir string) string { return filepath.Join(dataDir, "acquirer", "journal.db") }

// appendEntryArgs appends e's column values in entryColumns order to args.
func appendEntryArgs(args []any, e *Entry) []any {
	plan, count := "", 0
	if e.Installments != nil {
		plan, count = string(rune(e.Installments.Plan)), e.Installments.Count
	}
	f := e.Fee
	return append(args, e.ID, int(e.Kind), e.At.UnixNano(), e.SaleDate.String(), e.Key.AcquirerID, e.Key.TerminalID,
		e.Key.STAN, e.Key.TransmissionTime, string(e.MTI), e.TxType, e.RRN, e.AuthCode, e.MerchantID,
		string(e.Brand), string(e.Product), string(e.Band), plan, count, e.Issuer,
		int64(f.Gross), int64(f.MDR), int64(f.Interchange), int64(f.BrandFee), int64(f.AcquirerMargin), int64(f.Net),
		e.OriginalID, e.OriginalKey.AcquirerID, e.OriginalKey.TerminalID, e.OriginalKey.STAN, e.OriginalKey.TransmissionTime)
}

// scanner is a *sql.Rows or a *sql.Row.
type scanner interface{ Scan(dest ...any) error }

// scanEntry reads one row selected with entryColumns.
func scanEntry(rs scanner) (Entry, error) {
	var (
		e                                     Entry
		kind, count                           int
		at, gross, mdr, ic, bf, margin, net   int64
		date, mti, brand, product, band, plan string
	)
	err := rs.Scan(&e.ID, &kind, &at, &date, &e.Key.AcquirerID, &e.Key.TerminalID, &e.Key.STAN,
		&e.Key.TransmissionTime, &mti, &e.TxType, &e.RRN, &e.AuthCode, &e.MerchantID, &brand, &product, &band,
		&plan, &count, &e.Issuer, &gross, &mdr, &ic, &bf, &margin, &net, &e.OriginalID,
		&e.OriginalKey.AcquirerID, &e.OriginalKey.TerminalID, &e.OriginalKey.STAN, &e.OriginalKey.TransmissionTime)
	if err != nil {
		return Entry{}, fmt.Errorf("reading journal entry: %w", err)
	}
	if e.SaleDate, err = ParseDate(date); err != nil {
		return Entry{}, fmt.Errorf("reading journal entry %d: %w", e.ID, err)
	}
	e.Kind, e.At, e.MTI = EntryKind(kind), time.Unix(0, at).UTC(), bandeira.MTI(mti)
	e.Brand, e.Product, e.Band = bandeira.Brand(brand), bandeira.Product(product), Band(band)
	if plan != "" {
		e.Installments = &bandeira.Installments{Plan: bandeira.InstallmentPlan(plan[0]), Count: count}
	}
	e.Fee = bandeira.Fee{Gross: bandeira.Amount(gross), MDR: bandeira.Amount(mdr), Interchange: bandeira.Amount(ic),
		BrandFee: bandeira.Amount(bf), AcquirerMargin: bandeira.Amount(margin), Net: bandeira.Amount(net)}
	return e, nil
}

// readEntries returns every entry of db in id order, from one consistent snapshot.
func readEntries(ctx context.Context, db *sql.DB) ([]Entry, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rs, err := tx.QueryContext(ctx, "SELECT "+entryColumns+" FROM entries ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	defer func() { _ = rs.Close() }()
	var out []Entry
	for rs.Next() {
		e, err := scanEntry(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	return out, nil
}

// ReadJournal returns every entry of the journal at path, in id order, from one consistent
// snapshot, through a read-only handle: it can run beside a live `bandeira run` and never
// writes. It fails with os.ErrNotExist when there is no journal at path (and creates
// none), and with ErrJournalIncompatible when a newer binary wrote it.
func ReadJournal(ctx context.Context, path string) ([]Entry, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("reading the journal %s: %w", path, err)
	}
	db, err := store.OpenReadOnly(path, 1)
	if err != nil {
		return nil, fmt.Errorf("reading the journal %s: %w", path, err)
	}
	defer func() { _ = db.Close() }()
	if err := store.CheckSchema(ctx, db, journalMigrations); err != nil {
		return nil, fmt.Errorf("reading the journal %s: %w: %w", path, ErrJournalIncompatible, err)
	}
	return readEntries(ctx, db)
}
