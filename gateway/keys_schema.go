package gateway

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
)

// keysMigrations are the key store's schema versions (internal/store applies them). Never
// edit a released one: append.
//
// The table is append-only and has no secondary index: lookups happen in memory, and the
// table is read once, at open, after the keys older than the window are deleted. A key may
// have several rows (an answer that could not be delivered is recorded again as 91): the
// last one counts.
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

// keyColumnCount is how many columns keyColumns names.
const keyColumnCount = 16

// keyRow is one request key with the body it is bound to and its answer.
type keyRow struct {
	id  int64
	at  int64        // arrival, Unix nanoseconds
	key bandeira.Key // normal form
	fp  fingerprint
	res bandeira.Result // Code, AuthCode, Issuer, Brand, Product, StandIn
}

// appendArgs appends r's column values in keyColumns order.
func (r *keyRow) appendArgs(args []any) []any {
	return append(args, r.id, r.at, r.key.AcquirerID, r.key.TerminalID, r.key.STAN, r.key.TransmissionTime,
		string(rune(r.fp.class)), string(r.fp.procCode[:]), int64(r.fp.amount), int64(r.fp.pan),
		string(r.res.Code), r.res.AuthCode, r.res.Issuer, string(r.res.Brand), string(r.res.Product), standInText(r.res.StandIn))
}

// standInText is a stand-in reason as the stand_in column keeps it: "" for none.
func standInText(r bandeira.StandInReason) string {
	if !r.Valid() {
		return ""
	}
	return string(rune(r))
}

// load deletes the rows older than since, reads the newest limit of the others (0: all)
// in id order, and the next id.
func (k *Keys) load(ctx context.Context, since int64, limit int) error {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	if _, err := k.db.W.ExecContext(ctx, "DELETE FROM keys WHERE at < ?", since); err != nil {
		return fmt.Errorf("deleting keys older than the window: %w", err)
	}
	if err := k.db.W.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM keys").Scan(&k.nextID); err != nil {
		return fmt.Errorf("reading the next id: %w", err)
	}
	rs, err := k.db.W.QueryContext(ctx, "SELECT * FROM (SELECT "+keyColumns+" FROM keys ORDER BY id DESC LIMIT ?) ORDER BY id", limit)
	if err != nil {
		return fmt.Errorf("reading the keys: %w", err)
	}
	defer func() { _ = rs.Close() }()
	for rs.Next() {
		var (
			r                                              keyRow
			class, procCode, code, brand, product, standIn string
			amount, pan                                    int64
		)
		if err := rs.Scan(&r.id, &r.at, &r.key.AcquirerID, &r.key.TerminalID, &r.key.STAN, &r.key.TransmissionTime,
			&class, &procCode, &amount, &pan, &code, &r.res.AuthCode, &r.res.Issuer, &brand, &product, &standIn); err != nil {
			return fmt.Errorf("reading the keys: %w", err)
		}
		if len(class) != 1 || len(procCode) != len(r.fp.procCode) {
			return fmt.Errorf("reading key %d: malformed class or processing code", r.id)
		}
		r.fp.class, r.fp.amount, r.fp.pan = class[0], bandeira.Amount(amount), uint64(pan)
		copy(r.fp.procCode[:], procCode)
		r.res.Code, r.res.Brand, r.res.Product = bandeira.ResponseCode(code), bandeira.Brand(brand), bandeira.Product(product)
		if len(standIn) == 1 {
			r.res.StandIn = bandeira.StandInReason(standIn[0])
		}
		k.loaded = append(k.loaded, r)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("reading the keys: %w", err)
	}
	return nil
}
