package gateway

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// Builds before the key log kept the keys in an SQLite database, <data-dir>/acquirer/keys.db
// (the path of the log with ".db"). The first OpenKeys of such a data directory reads its
// keys of the window as that build did, appends them to the log and deletes the database.
//
// keysMigrations are that database's schema versions (internal/store applies them, so an
// older file is read at its last version). A key may have several rows (an answer that
// could not be delivered is recorded again as 91): the last one counts.
var keysMigrations = []string{
	`CREATE TABLE keys (
		id              INTEGER PRIMARY KEY,  -- sequential from 1, assigned in memory
		at              INTEGER NOT NULL,     -- when the request arrived, Unix nanoseconds
		acquirer_id     TEXT    NOT NULL,     -- the request key in normal form: 32, 41, 11, 7
		terminal_id     TEXT    NOT NULL,
		stan            TEXT    NOT NULL,
		transmission    TEXT    NOT NULL,
		class           TEXT    NOT NULL,     -- MTI class: 1, 2, or 4 (a reversal, keyed apart)
		processing_code TEXT    NOT NULL,
		amount          INTEGER NOT NULL,     -- field 4, centavos
		pan_hash        INTEGER NOT NULL,     -- HMAC-SHA-256 of the PAN (8 bytes), never the PAN
		code            TEXT    NOT NULL,     -- field 39 answered
		auth_code       TEXT    NOT NULL,
		issuer          TEXT    NOT NULL,     -- field 48 tag IS of the answer
		brand           TEXT    NOT NULL,
		product         TEXT    NOT NULL
	);`,
	// Version 2: who decided the answer (field 44 position 1: '1', '2' or '3' for the
	// network's stand-in, '' for the issuer), so that a repeat answered from the keys after
	// a restart still says it was a stand-in decision.
	`ALTER TABLE keys ADD COLUMN stand_in TEXT NOT NULL DEFAULT '';`,
}

const keyColumns = `id, at, acquirer_id, terminal_id, stan, transmission, class, processing_code, amount,
	pan_hash, code, auth_code, issuer, brand, product, stand_in`

// moveLegacy moves the keys of the window in the database at path, if there is one, into
// the log (after what it holds) and into win, and then deletes the database.
func (k *Keys) moveLegacy(ctx context.Context, path string, since int64, win *newestRows) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := store.Open(ctx, path, store.Config{Migrations: keysMigrations})
	if errors.Is(err, store.ErrNewerSchema) {
		err = fmt.Errorf("%w: %w", ErrKeysIncompatible, err)
	}
	if err != nil {
		return fmt.Errorf("opening the key store of an earlier build: %w", err)
	}
	rows, err := legacyRows(ctx, db.W, since, win.limit)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reading the key store of an earlier build %s: %w", path, err)
	}
	for i := range rows {
		k.nextID = max(k.nextID, rows[i].id+1)
		k.lg.Add(rows[i].appendRecord)
		win.add(rows[i])
		if i%4096 == 4095 || i == len(rows)-1 { // batches of about 400 kB
			if err := k.lg.Commit(); err != nil {
				return err
			}
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("deleting the key store of an earlier build: %w", err)
		}
	}
	k.log.Info().Int("keys", len(rows)).Str("from", path).Msg("keys of an earlier build moved into the key log")
	return nil
}

// legacyRows reads the rows of the window (arrival at or after since), the newest limit
// of them (0: all), in id order.
func legacyRows(ctx context.Context, db *sql.DB, since int64, limit int) ([]keyRow, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rs, err := db.QueryContext(ctx, "SELECT * FROM (SELECT "+keyColumns+" FROM keys WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id", since, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the keys: %w", err)
	}
	defer func() { _ = rs.Close() }()
	var rows []keyRow
	for rs.Next() {
		var (
			r                                              keyRow
			class, procCode, code, brand, product, standIn string
			amount, pan                                    int64
		)
		if err := rs.Scan(&r.id, &r.at, &r.key.AcquirerID, &r.key.TerminalID, &r.key.STAN, &r.key.TransmissionTime,
			&class, &procCode, &amount, &pan, &code, &r.res.AuthCode, &r.res.Issuer, &brand, &product, &standIn); err != nil {
			return nil, fmt.Errorf("reading the keys: %w", err)
		}
		if len(class) != 1 || len(procCode) != len(r.fp.procCode) {
			return nil, fmt.Errorf("reading key %d: malformed class or processing code", r.id)
		}
		r.fp.class, r.fp.amount, r.fp.pan = class[0], bandeira.Amount(amount), uint64(pan)
		copy(r.fp.procCode[:], procCode)
		r.res.Code, r.res.Brand, r.res.Product = bandeira.ResponseCode(code), bandeira.Brand(brand), bandeira.Product(product)
		if len(standIn) == 1 {
			r.res.StandIn = bandeira.StandInReason(standIn[0])
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("reading the keys: %w", err)
	}
	return rows, nil
}
