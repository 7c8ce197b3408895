package books

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/bandeira/bandeira/internal/store"
)

// Report is what Audit found in one issuer's books.
type Report struct {
	Accounts   int   // card accounts opened
	Requests   int   // requests remembered (approved and declined)
	Approved   int   // requests that moved money
	OpenHolds  int   // holds still open
	Held       int64 // centavos in open holds
	Postings   int
	Tombstones int
	Funding    int64 // balance of the funding account: minus the opening balances
	Settlement int64 // balance of the settlement account
	// Violations lists every broken invariant, one line each (at most 10 per check), with
	// accounts and requests named by id, never by card number. Empty means the books pass.
	Violations []string
}

// auditCheck is one audit query: it selects an id (or a scalar) for every violation.
type auditCheck struct {
	name, query string
}

// auditChecks are the invariants I1–I5 of docs/ledger.md as queries that return one row per violation.
// Balances are derived from postings (the view account_balances), so conservation is
// checked through what the postings must agree with: the open holds, each request's
// amount and state, and each posting's shape.
var auditChecks = []auditCheck{
	{"I1 double entry: the balances of all accounts do not sum to zero",
		`SELECT sum(balance) FROM account_balances HAVING sum(balance) <> 0`},
	{"I1 a posting does not move money between its request's card and the system account its kind names",
		`SELECT p.id FROM postings p LEFT JOIN requests r ON r.id = p.request_id WHERE NOT CASE p.kind
			WHEN 1 THEN p.request_id IS NULL AND p.debit_id = 1 AND p.credit_id >= 100
			WHEN 2 THEN r.kind = 1 AND p.debit_id = r.account_id AND p.credit_id = 2
			WHEN 3 THEN r.kind = 1 AND p.debit_id = 2 AND p.credit_id = 3
			WHEN 4 THEN r.kind = 1 AND p.debit_id = 2 AND p.credit_id = r.account_id
			WHEN 5 THEN r.kind = 1 AND p.debit_id = 2 AND p.credit_id = r.account_id
			WHEN 6 THEN r.kind = 2 AND p.debit_id = r.account_id AND p.credit_id = 3
			WHEN 7 THEN r.kind = 3 AND p.debit_id = 3 AND p.credit_id = r.account_id
			WHEN 8 THEN r.kind = 2 AND p.debit_id = 3 AND p.credit_id = r.account_id
			WHEN 9 THEN r.kind = 3 AND p.debit_id = r.account_id AND p.credit_id = 3
			WHEN 10 THEN r.kind = 1 AND p.debit_id = 3 AND p.credit_id = r.account_id
			ELSE 0 END`},
	{"I1 the holds account differs from the sum of open holds",
		`SELECT id FROM account_balances WHERE id = 2 AND balance <> (
			SELECT coalesce(sum(open), 0) FROM requests WHERE kind = 1 AND state = 1)`},
	{"I1 a card was opened more than once",
		`SELECT account_id FROM (SELECT credit_id AS account_id FROM postings WHERE kind = 1)
		 GROUP BY account_id HAVING count(*) > 1`},
	{"I2 a hold's open amount differs from its amount less what was released, expired or given back after its capture",
		`SELECT r.id FROM requests r LEFT JOIN (
			SELECT request_id, sum(amount) AS done FROM postings WHERE kind IN (4, 5, 10) GROUP BY request_id) p
			ON p.request_id = r.id
		 WHERE r.kind = 1 AND r.status = 1 AND r.amount - r.open <> coalesce(p.done, 0)`},
	{"I2 a captured hold's open amount differs from what it captured less what reversals gave back",
		`SELECT r.id FROM requests r LEFT JOIN (
			SELECT request_id, sum(CASE kind WHEN 3 THEN amount ELSE -amount END) AS kept
			FROM postings WHERE kind IN (3, 10) GROUP BY request_id) p ON p.request_id = r.id
		 WHERE r.kind = 1 AND r.status = 1 AND (p.kept IS NOT NULL OR r.state = 2)
		   AND (r.state NOT IN (2, 3) OR r.open <> coalesce(p.kept, 0))`},
	{"I2 a hold was resolved more than once (captured or expired twice, or both)",
		`SELECT request_id FROM postings WHERE kind IN (3, 5) GROUP BY request_id HAVING count(*) > 1`},
	{"I2 a hold gave back more than it captured, or gave back without a capture",
		`SELECT request_id FROM postings WHERE kind IN (3, 10) GROUP BY request_id
		 HAVING sum(CASE kind WHEN 10 THEN amount ELSE 0 END) > sum(CASE kind WHEN 3 THEN amount ELSE 0 END)`},
	{"I2 a debit or credit's open amount differs from its amount less what was reversed",
		`SELECT r.id FROM requests r LEFT JOIN (
			SELECT request_id, sum(amount) AS done FROM postings WHERE kind IN (8, 9) GROUP BY request_id) p
			ON p.request_id = r.id
		 WHERE r.kind IN (2, 3) AND r.status = 1 AND r.amount - r.open <> coalesce(p.done, 0)`},
	{"I2 a resolved record still has an amount in effect, or one in effect has none",
		`SELECT id FROM requests WHERE status = 1 AND (state IN (1, 2)) <> (open > 0)`},
	{"I2 a record is in a state its kind or answer cannot reach",
		`SELECT id FROM requests WHERE CASE
			WHEN status <> 1 THEN state <> 5 OR open <> 0
			WHEN kind = 6 THEN state <> 6
			WHEN kind = 1 THEN state NOT IN (1, 2, 3, 4)
			ELSE state NOT IN (1, 3) END
		   OR status NOT IN (1, 2, 7, 8) OR kind NOT IN (1, 2, 3, 6) OR (status = 8) <> (code <> '')`},
	{"I3 a card's available balance is below its floor by more than its stand-in approvals",
		`SELECT a.id FROM account_balances a LEFT JOIN (
			SELECT account_id, sum(amount) AS amount FROM requests WHERE stand_in = 1 AND status = 1 GROUP BY account_id) s
			ON s.account_id = a.id
		 WHERE a.kind = 2 AND a.balance + a.credit_limit + coalesce(s.amount, 0) < 0`},
	{"I4 an approved request was posted other than exactly once for its amount",
		`SELECT r.id FROM requests r LEFT JOIN (
			SELECT request_id, count(*) AS n, sum(amount) AS amount FROM postings WHERE kind IN (2, 6, 7) GROUP BY request_id) p
			ON p.request_id = r.id
		 WHERE r.status = 1 AND r.kind <> 6 AND (coalesce(p.n, 0) <> 1 OR p.amount <> r.amount)`},
	{"I4 a declined request moved money",
		`SELECT DISTINCT p.request_id FROM postings p JOIN requests r ON r.id = p.request_id WHERE r.status <> 1`},
	{"I4 a request key is stored twice",
		`SELECT min(id) FROM requests GROUP BY key HAVING count(*) > 1`},
	{"I4 an account name is stored twice",
		`SELECT min(id) FROM accounts GROUP BY name HAVING count(*) > 1`},
	{"I5 an original that came after its reversal was approved",
		`SELECT r.id FROM requests r JOIN tombstones t ON t.key = r.key WHERE r.status = 1`},
	{"posting amounts must be positive and between two different accounts",
		`SELECT id FROM postings WHERE amount <= 0 OR debit_id = credit_id`},
}

// Audit checks the invariants I1–I5 of docs/ledger.md on the books at path, at rest or while
// another process writes them (it reads one consistent snapshot), and runs SQLite's
// integrity check, through a read-only handle. Violations go in the Report; the error is
// for books that could not be read at all, or that a newer binary wrote (ErrIncompatible).
func Audit(ctx context.Context, path string) (Report, error) {
	db, err := store.OpenReadOnly(path, 1)
	if err != nil {
		return Report{}, fmt.Errorf("auditing %s: %w", path, err)
	}
	defer func() { _ = db.Close() }()
	if err := store.CheckSchema(ctx, db, migrations); err != nil {
		return Report{}, fmt.Errorf("auditing %s: %w: %w", path, ErrIncompatible, err)
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Report{}, fmt.Errorf("auditing %s: %w", path, err)
	}
	defer func() { _ = tx.Rollback() }()
	var rep Report
	if err := summarise(ctx, tx, &rep); err != nil {
		return Report{}, fmt.Errorf("auditing %s: %w", path, err)
	}
	var ok string
	if err := tx.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil {
		return Report{}, fmt.Errorf("auditing %s: %w", path, err)
	}
	if ok != "ok" {
		rep.Violations = append(rep.Violations, "integrity_check: "+ok)
	}
	for _, c := range auditChecks {
		found, err := violations(ctx, tx, c.query)
		if err != nil {
			return Report{}, fmt.Errorf("auditing %s (%s): %w", path, c.name, err)
		}
		if len(found) > 0 {
			rep.Violations = append(rep.Violations, c.name+": "+strings.Join(found, ", "))
		}
	}
	return rep, nil
}

func summarise(ctx context.Context, tx *sql.Tx, rep *Report) error {
	return tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM accounts WHERE kind = 2),
		(SELECT count(*) FROM requests),
		(SELECT count(*) FROM requests WHERE status = 1),
		(SELECT count(*) FROM requests WHERE kind = 1 AND state = 1),
		(SELECT coalesce(sum(open), 0) FROM requests WHERE kind = 1 AND state = 1),
		(SELECT count(*) FROM postings),
		(SELECT count(*) FROM tombstones),
		(SELECT coalesce(sum(CASE credit_id WHEN 1 THEN amount ELSE -amount END), 0) FROM postings WHERE 1 IN (debit_id, credit_id)),
		(SELECT coalesce(sum(CASE credit_id WHEN 3 THEN amount ELSE -amount END), 0) FROM postings WHERE 3 IN (debit_id, credit_id))`).Scan(&rep.Accounts, &rep.Requests, &rep.Approved,
		&rep.OpenHolds, &rep.Held, &rep.Postings, &rep.Tombstones, &rep.Funding, &rep.Settlement)
}

// violations runs q and returns up to 10 of its first column's values, then "…" if more.
func violations(ctx context.Context, tx *sql.Tx, q string) ([]string, error) {
	rs, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rs.Close() }()
	var out []string
	for rs.Next() {
		if len(out) == 10 {
			out = append(out, "…")
			break
		}
		var v sql.NullString
		if err := rs.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, "id "+v.String)
	}
	return out, rs.Err()
}
