package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

// storeMigrations are the network store's schema versions in order (internal/store applies
// them; PRAGMA user_version counts those applied). Never edit a released migration: append
// a new one.
//
// stand_ins is append-only: one row per stand-in decision, written before the answer
// leaves. It never holds a PAN: card is the PAN's keyed hash (HMAC-SHA-256 under
// <data-dir>/keys/pan-hash.key), enough to add up a card's approvals of a day.
var storeMigrations = []string{
	`CREATE TABLE stand_ins (
		id                INTEGER PRIMARY KEY,  -- sequential from 1, assigned in memory
		at                INTEGER NOT NULL,     -- Unix nanoseconds
		day               TEXT    NOT NULL,     -- YYYY-MM-DD in Brasília: the daily limit's day
		acquirer_id       TEXT    NOT NULL,     -- the request key in normal form: 32, 41, 11, 7
		terminal_id       TEXT    NOT NULL,
		stan              TEXT    NOT NULL,
		transmission_time TEXT    NOT NULL,
		issuer            TEXT    NOT NULL,     -- on whose behalf
		mti               TEXT    NOT NULL,
		processing_code   TEXT    NOT NULL,
		amount            INTEGER NOT NULL,     -- centavos
		card              BLOB    NOT NULL,     -- keyed hash of the PAN, never the PAN
		response_code     TEXT    NOT NULL,
		auth_code         TEXT    NOT NULL,     -- '' unless approved
		auth_seq          INTEGER NOT NULL,     -- the auth code's sequence number; 0 unless approved
		reason            TEXT    NOT NULL,     -- field 44 position 1: 1 timeout, 2 unreachable, 3 signed off
		rule              TEXT    NOT NULL      -- the stand-in rule that decided
	);
	CREATE INDEX stand_ins_day ON stand_ins (day);`,
}

const (
	standInColumns = `id, at, day, acquirer_id, terminal_id, stan, transmission_time, issuer, mti,
		processing_code, amount, card, response_code, auth_code, auth_seq, reason, rule`
	standInColumnCount = 17
	insertStandIn      = `INSERT INTO stand_ins (` + standInColumns + `) VALUES `
	selectStandIns     = `SELECT ` + standInColumns + ` FROM stand_ins`
)

// StandIn is one stand-in decision as the network's store keeps it: no card data.
type StandIn struct {
	ID             int64
	At             time.Time
	Day            string       // Brasília, YYYY-MM-DD
	Key            bandeira.Key // normal form
	Issuer         string
	MTI            bandeira.MTI
	ProcessingCode string
	Amount         bandeira.Amount
	Code           bandeira.ResponseCode
	AuthCode       string
	Reason         bandeira.StandInReason
	Rule           string

	card    [cardHashSize]byte
	authSeq uint64
}

// cardHashSize is the length of a card's keyed hash.
const cardHashSize = 32

// Approved reports whether the network approved the request on the issuer's behalf.
func (s *StandIn) Approved() bool { return s.Code.Approved() }

// stage stages a batch's rows (the Writer's goroutine).
func (s *Store) stage(rows []*StandIn) {
	for _, d := range rows {
		s.rows.Add(d.ID, d.At.UnixNano(), d.Day, d.Key.AcquirerID, d.Key.TerminalID, d.Key.STAN,
			d.Key.TransmissionTime, d.Issuer, string(d.MTI), d.ProcessingCode, int64(d.Amount), d.card[:],
			string(d.Code), d.AuthCode, int64(d.authSeq), string(rune(d.Reason)), d.Rule)
	}
}

// scanner is a *sql.Rows or *sql.Row.
type scanner interface{ Scan(dest ...any) error }

// scanStandIn reads one row of standInColumns.
func scanStandIn(r scanner) (*StandIn, error) {
	var (
		d                      StandIn
		at, amount, seq        int64
		mti, code, reason      string
		card                   []byte
		acq, term, stan, trans string
	)
	if err := r.Scan(&d.ID, &at, &d.Day, &acq, &term, &stan, &trans, &d.Issuer, &mti, &d.ProcessingCode,
		&amount, &card, &code, &d.AuthCode, &seq, &reason, &d.Rule); err != nil {
		return nil, err
	}
	if len(card) != cardHashSize || len(reason) != 1 {
		return nil, fmt.Errorf("stand-in %d: malformed card hash or reason", d.ID)
	}
	d.At, d.Key = time.Unix(0, at).UTC(), bandeira.Key{AcquirerID: acq, TerminalID: term, STAN: stan, TransmissionTime: trans}
	d.MTI, d.Amount, d.Code, d.Reason = bandeira.MTI(mti), bandeira.Amount(amount), bandeira.ResponseCode(code), bandeira.StandInReason(reason[0])
	d.authSeq = uint64(seq)
	copy(d.card[:], card)
	return &d, nil
}

// ReadStandIns returns every stand-in decision in the network store at path, in the order
// they were made, from one consistent snapshot; it can run beside the network that owns
// the store. A path with no store reads as empty; a store a newer binary wrote is an
// error wrapping store.ErrNewerSchema.
func ReadStandIns(ctx context.Context, path string) ([]StandIn, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	db, err := store.OpenReadOnly(path, 1)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	var exists int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'stand_ins'`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("reading the stand-ins in %s: %w", path, err)
	}
	if exists == 0 {
		return nil, nil
	}
	if err := store.CheckSchema(ctx, db, storeMigrations); err != nil {
		return nil, fmt.Errorf("reading the stand-ins in %s: %w", path, err)
	}
	rs, err := db.QueryContext(ctx, selectStandIns+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading the stand-ins in %s: %w", path, err)
	}
	defer func() { _ = rs.Close() }()
	var out []StandIn
	for rs.Next() {
		d, err := scanStandIn(rs)
		if err != nil {
			return nil, fmt.Errorf("reading the stand-ins in %s: %w", path, err)
		}
		out = append(out, *d)
	}
	return out, rs.Err()
}
