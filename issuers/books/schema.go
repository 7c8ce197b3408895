package books

import (
	"context"
	"database/sql"
	"fmt"
)

// System accounts, created by the first migration. Card accounts get ids above them.
const (
	// accountFunding is the source of opening balances: its balance is minus the sum of
	// every debit and prepaid card's opening balance.
	accountFunding int64 = 1
	// accountHolds holds the money of open authorization holds: its balance equals the sum
	// of every card's held amount.
	accountHolds int64 = 2
	// accountSettlement receives captured holds and posted debits, and pays refunds.
	accountSettlement int64 = 3
	// accountFees is the issuer's fee income. The simulator charges cardholders no fees
	// yet, so it stays at zero; it exists so that the chart of accounts is complete.
	accountFees int64 = 4
	// firstCardAccount is the id of the first card account.
	firstCardAccount int64 = 100
)

// Account kinds (accounts.kind).
const (
	kindSystem = 1
	kindCard   = 2
)

// Posting kinds (postings.kind): which movement a posting is.
const (
	postOpen          = 1 // funding → card: a debit or prepaid card's opening balance
	postHold          = 2 // card → holds: an authorization hold is placed
	postCapture       = 3 // holds → settlement: a hold is captured
	postRelease       = 4 // holds → card: a hold is reversed, or the uncaptured rest released
	postExpire        = 5 // holds → card: a hold expired
	postDebit         = 6 // card → settlement: a financial (0200) purchase
	postCredit        = 7 // settlement → card: a refund
	postReverseDebit  = 8 // settlement → card: a debit reversed
	postReverseCredit = 9 // card → settlement: a refund reversed
)

// Hold and record states (requests.state).
const (
	stateOpen     = 1 // a hold still holding, or a debit or credit in effect
	stateCaptured = 2
	stateReversed = 3 // fully reversed (a partial reversal keeps the record open)
	stateExpired  = 4
	stateDeclined = 5 // the request was declined; it moved no money
)

// migrations are the schema versions in order; PRAGMA user_version counts those applied.
// Never edit a released migration: append a new one.
//
// The hot path only appends: a request row and its postings per approval, at sequential
// ids, so that a commit dirties a few pages at the tail of each table rather than one
// random page per request. Nothing it writes carries a secondary index. Balances and held
// amounts are not stored: they are derived from postings and open holds (in memory on
// open, and by the view account_balances in the sqlite3 shell and the audit). Request
// keys and account names are unique by construction in memory; the audit checks that at
// rest. An account row is written when the account opens and when its PIN-failure count
// changes; a request row is rewritten in place when it resolves (capture, reversal,
// expiry), which touches a recent page in the common case.
var migrations = []string{
	`CREATE TABLE meta (
		name  TEXT PRIMARY KEY,
		value TEXT NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE accounts (
		id           INTEGER PRIMARY KEY,
		kind         INTEGER NOT NULL,
		name         TEXT    NOT NULL,          -- system name, or BIN/serial for a card
		credit_limit INTEGER NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
		pin_failures INTEGER NOT NULL DEFAULT 0
	);
	INSERT INTO accounts (id, kind, name) VALUES
		(1, 1, 'funding'), (2, 1, 'holds'), (3, 1, 'settlement'), (4, 1, 'fees');
	CREATE TABLE requests (
		id         INTEGER PRIMARY KEY,
		key        TEXT    NOT NULL,          -- acquirer ID/STAN/transmission time/terminal
		account_id INTEGER NOT NULL REFERENCES accounts (id),
		kind       INTEGER NOT NULL,          -- ledger.Kind: 1 hold, 2 debit, 3 credit
		amount     INTEGER NOT NULL CHECK (amount > 0),
		status     INTEGER NOT NULL,          -- ledger.Status of the first answer
		auth_code  TEXT    NOT NULL,
		open       INTEGER NOT NULL CHECK (open >= 0 AND open <= amount),
		state      INTEGER NOT NULL,
		reversed   INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL           -- ledger time, Unix nanoseconds
	);
	CREATE TABLE postings (
		id         INTEGER PRIMARY KEY,
		request_id INTEGER REFERENCES requests (id),  -- NULL for opening postings
		kind       INTEGER NOT NULL,
		debit_id   INTEGER NOT NULL REFERENCES accounts (id),
		credit_id  INTEGER NOT NULL REFERENCES accounts (id),
		amount     INTEGER NOT NULL CHECK (amount > 0),
		at         INTEGER NOT NULL,
		CHECK (debit_id <> credit_id)
	);
	CREATE TABLE tombstones (
		key        TEXT    PRIMARY KEY,       -- the original's key, reversed before it came
		account_id INTEGER NOT NULL REFERENCES accounts (id),
		at         INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE VIEW account_balances AS
	WITH moves (account_id, amount) AS (
		SELECT credit_id, amount FROM postings UNION ALL SELECT debit_id, -amount FROM postings),
	bal AS (SELECT account_id, sum(amount) AS balance FROM moves GROUP BY account_id),
	hld AS (SELECT account_id, sum(open) AS held FROM requests WHERE kind = 1 AND state = 1 GROUP BY account_id)
	SELECT a.id, a.kind, a.name, a.credit_limit, a.pin_failures,
		coalesce(bal.balance, 0) AS balance, coalesce(hld.held, 0) AS held
	FROM accounts a LEFT JOIN bal ON bal.account_id = a.id LEFT JOIN hld ON hld.account_id = a.id;`,
}

// migrate applies the migrations the database has not seen, each in its own transaction.
func migrate(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this binary's %d: %w", version, len(migrations), ErrIncompatible)
	}
	for v := version; v < len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrating to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrating to version %d: %w", v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrating to version %d: %w", v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrating to version %d: %w", v+1, err)
		}
	}
	return nil
}
