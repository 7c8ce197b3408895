package books

import "github.com/bandeira/bandeira/issuers/ledger"

// Card accounts get ids from firstCardAccount; the system accounts (funding, holds,
// settlement, fees), created by the first migration, have the ids of their ledger.Party
// (1 to 4).
const firstCardAccount int64 = 100

// Account kinds (accounts.kind).
const (
	kindSystem = 1
	kindCard   = 2
)

// The rows spell the ledger's numbers: requests.kind is a ledger.Kind, requests.status a
// ledger.Status, requests.state a ledger.State, postings.kind a ledger.PostingKind and the
// system accounts' ids ledger.Party values. The audit's queries spell them as numbers too;
// these fail to compile if the numbering changes.
var (
	_ = [1]struct{}{}[ledger.Hold-1]
	_ = [1]struct{}{}[ledger.Debit-2]
	_ = [1]struct{}{}[ledger.Credit-3]
	_ = [1]struct{}{}[ledger.Inquiry-6]
	_ = [1]struct{}{}[ledger.StatusApplied-1]
	_ = [1]struct{}{}[ledger.StatusInsufficientFunds-2]
	_ = [1]struct{}{}[ledger.StatusTombstoned-7]
	_ = [1]struct{}{}[ledger.StatusDeclined-8]
	_ = [1]struct{}{}[ledger.StateOpen-1]
	_ = [1]struct{}{}[ledger.StateCaptured-2]
	_ = [1]struct{}{}[ledger.StateReversed-3]
	_ = [1]struct{}{}[ledger.StateExpired-4]
	_ = [1]struct{}{}[ledger.StateDeclined-5]
	_ = [1]struct{}{}[ledger.StateAnswered-6]
	_ = [1]struct{}{}[ledger.PostOpen-1]
	_ = [1]struct{}{}[ledger.PostHold-2]
	_ = [1]struct{}{}[ledger.PostCapture-3]
	_ = [1]struct{}{}[ledger.PostRelease-4]
	_ = [1]struct{}{}[ledger.PostExpire-5]
	_ = [1]struct{}{}[ledger.PostDebit-6]
	_ = [1]struct{}{}[ledger.PostCredit-7]
	_ = [1]struct{}{}[ledger.PostReverseDebit-8]
	_ = [1]struct{}{}[ledger.PostReverseCredit-9]
	_ = [1]struct{}{}[ledger.PostReverseCapture-10]
	_ = [1]struct{}{}[ledger.Funding-1]
	_ = [1]struct{}{}[ledger.Holds-2]
	_ = [1]struct{}{}[ledger.Settlement-3]
	_ = [1]struct{}{}[ledger.Fees-4]
)

// migrations are the schema versions in order (internal/store applies them; PRAGMA
// user_version counts those applied). Never edit a released migration: append a new one.
//
// The hot path only appends: a request row and its postings per approval, at sequential
// ids, so that a commit dirties a few pages at the tail of each table rather than one
// random page per request. The one secondary index is requests_key (migration 3), which
// finds a request by key once the in-memory index has dropped it (Options.KeysInMemory);
// keys lead with the transmission time (migration 4), so new keys land on the index's last
// pages as they arrive, whatever their terminals and STANs. Balances and held amounts are not stored: they are derived from postings and open
// holds (in memory on open, and by the view account_balances in the sqlite3 shell and the
// audit). Request keys and account names are unique by construction (a key is looked for
// in memory, then on disk, before it is stored); the audit checks that at rest. An account
// row is written when the account opens and when its PIN-failure count changes; a request
// row is rewritten in place when it resolves (capture, reversal,
// expiry), which touches a recent page in the common case.
//
// Migration 2 (issue 10) rebuilds requests and tombstones, SQLite's way of changing a
// column's constraints: every decision on a key is a request now, declines with amount 0
// and inquiries included (amount >= 0); a request keeps its body's type (message class and
// processing code), the response code of a decline it was refused with, and whether the
// network's stand-in approved it; a captured hold's open amount is what it captured and
// keeps in effect (filled in from the capture postings of rows written before); a
// tombstone names no account.
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
	`DROP VIEW account_balances;
	CREATE TABLE requests_v2 (
		id         INTEGER PRIMARY KEY,
		key        TEXT    NOT NULL,          -- acquirer ID/STAN/transmission time/terminal
		account_id INTEGER NOT NULL REFERENCES accounts (id),
		kind       INTEGER NOT NULL,          -- ledger.Kind: 1 hold, 2 debit, 3 credit, 6 inquiry
		type       INTEGER NOT NULL DEFAULT 0, -- ledger.TypeOf: class × 1000000 + processing code; 0 unknown
		amount     INTEGER NOT NULL CHECK (amount >= 0),
		status     INTEGER NOT NULL,          -- ledger.Status of the answer
		code       TEXT    NOT NULL DEFAULT '', -- the response code of status 8 (declined)
		auth_code  TEXT    NOT NULL,
		open       INTEGER NOT NULL CHECK (open >= 0 AND open <= amount),
		state      INTEGER NOT NULL,
		reversed   INTEGER NOT NULL DEFAULT 0,
		stand_in   INTEGER NOT NULL DEFAULT 0, -- approved by the network's stand-in
		created_at INTEGER NOT NULL           -- ledger time of the decision, Unix nanoseconds
	);
	INSERT INTO requests_v2 (id, key, account_id, kind, amount, status, auth_code, open, state, reversed, created_at)
		SELECT r.id, r.key, r.account_id, r.kind, r.amount, r.status, r.auth_code,
			CASE WHEN r.kind = 1 AND r.state = 2 THEN coalesce(c.captured, 0) ELSE r.open END,
			r.state, r.reversed, r.created_at
		FROM requests r LEFT JOIN (
			SELECT request_id, sum(amount) AS captured FROM postings WHERE kind = 3 GROUP BY request_id) c
			ON c.request_id = r.id;
	DROP TABLE requests;
	ALTER TABLE requests_v2 RENAME TO requests;
	CREATE TABLE tombstones_v2 (
		key        TEXT    PRIMARY KEY,       -- the original's key, reversed before it came
		account_id INTEGER REFERENCES accounts (id), -- NULL: a reversal names no account
		at         INTEGER NOT NULL
	) WITHOUT ROWID;
	INSERT INTO tombstones_v2 (key, account_id, at) SELECT key, account_id, at FROM tombstones;
	DROP TABLE tombstones;
	ALTER TABLE tombstones_v2 RENAME TO tombstones;
	CREATE VIEW account_balances AS
	WITH moves (account_id, amount) AS (
		SELECT credit_id, amount FROM postings UNION ALL SELECT debit_id, -amount FROM postings),
	bal AS (SELECT account_id, sum(amount) AS balance FROM moves GROUP BY account_id),
	hld AS (SELECT account_id, sum(open) AS held FROM requests WHERE kind = 1 AND state = 1 GROUP BY account_id)
	SELECT a.id, a.kind, a.name, a.credit_limit, a.pin_failures,
		coalesce(bal.balance, 0) AS balance, coalesce(hld.held, 0) AS held
	FROM accounts a LEFT JOIN bal ON bal.account_id = a.id LEFT JOIN hld ON hld.account_id = a.id;`,
	`CREATE INDEX requests_key ON requests (key);`,
	// Migration 4: keys lead with the transmission time (keyText), rewritten in place.
	`CREATE TEMP TABLE rekeyed (id INTEGER PRIMARY KEY, key TEXT NOT NULL);
	INSERT INTO rekeyed (id, key) ` + timeFirst(`SELECT id, key FROM requests`) + `;
	UPDATE requests SET key = (SELECT key FROM rekeyed WHERE rekeyed.id = requests.id);
	DROP TABLE rekeyed;
	CREATE TABLE tombstones_v4 (
		key        TEXT    PRIMARY KEY,       -- the original's key, reversed before it came
		account_id INTEGER REFERENCES accounts (id), -- NULL: a reversal names no account
		at         INTEGER NOT NULL
	) WITHOUT ROWID;
	INSERT INTO tombstones_v4 (key, account_id, at)
		SELECT r.key, t.account_id, t.at
		FROM (` + timeFirst(`SELECT key AS id, key FROM tombstones`) + `) r JOIN tombstones t ON t.key = r.id;
	DROP TABLE tombstones;
	ALTER TABLE tombstones_v4 RENAME TO tombstones;`,
}

// timeFirst returns a query of (id, key) rows, the keys of rows (a query of id and key in
// migration 3's order, acquirer/STAN/time/terminal) rewritten in keyText's.
func timeFirst(rows string) string {
	return `WITH k1 AS (SELECT id, substr(key, 1, instr(key, '/') - 1) AS a, substr(key, instr(key, '/') + 1) AS r FROM (` + rows + `)),
		k2 AS (SELECT id, a, substr(r, 1, instr(r, '/') - 1) AS s, substr(r, instr(r, '/') + 1) AS r FROM k1),
		k3 AS (SELECT id, a, s, substr(r, 1, instr(r, '/') - 1) AS t, substr(r, instr(r, '/') + 1) AS term FROM k2)
		SELECT id, t || '/' || a || '/' || s || '/' || term AS key FROM k3`
}
