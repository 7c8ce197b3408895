package books

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/bandeira/bandeira/issuers/ledger"
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

// The queries below spell ledger kinds and statuses as numbers; these fail to compile if
// the numbering changes.
var (
	_ = [1]struct{}{}[ledger.Hold-1]
	_ = [1]struct{}{}[ledger.Debit-2]
	_ = [1]struct{}{}[ledger.Credit-3]
	_ = [1]struct{}{}[ledger.StatusApplied-1]
	_ = [1]struct{}{}[ledger.StatusTombstoned-7]
)

// auditCheck is one audit query: it selects an id (or a scalar) for every violation.
type auditCheck struct {
	name, query string
}

// auditChecks are reliability.md I1–I5 as queries that return one row per violation.
var auditChecks = []auditCheck{
	{"I1 double entry: the balances of all accounts do not sum to zero",
		`SELECT sum(balance) FROM accounts HAVING sum(balance) <> 0`},
	{"I1 an account's balance differs from the sum of its postings",
		`SELECT a.id FROM accounts a LEFT JOIN (
			SELECT acct, sum(delta) AS d FROM (
				SELECT credit_id AS acct, amount AS delta FROM postings
				UNION ALL SELECT debit_id, -amount FROM postings) GROUP BY acct) p ON p.acct = a.id
		 WHERE a.balance <> coalesce(p.d, 0)`},
	{"I1 the holds account differs from the sum of open holds",
		`SELECT id FROM accounts WHERE id = 2 AND balance <> (
			SELECT coalesce(sum(open), 0) FROM requests WHERE kind = 1 AND state = 1)`},
	{"I2 a card's held amount differs from the sum of its open holds",
		`SELECT a.id FROM accounts a WHERE a.kind = 2 AND a.held <> (
			SELECT coalesce(sum(open), 0) FROM requests r WHERE r.account_id = a.id AND r.kind = 1 AND r.state = 1)`},
	{"I2 a hold's open amount differs from its amount less what was captured, released or expired",
		`SELECT r.id FROM requests r WHERE r.kind = 1 AND r.status = 1 AND r.amount - r.open <> (
			SELECT coalesce(sum(amount), 0) FROM postings p WHERE p.request_id = r.id AND p.kind IN (3, 4, 5))`},
	{"I2 a hold was resolved more than once (captured or expired twice, or both)",
		`SELECT request_id FROM postings WHERE kind IN (3, 5) GROUP BY request_id HAVING count(*) > 1`},
	{"I2 a debit or credit's open amount differs from its amount less what was reversed",
		`SELECT r.id FROM requests r WHERE r.kind IN (2, 3) AND r.status = 1 AND r.amount - r.open <> (
			SELECT coalesce(sum(amount), 0) FROM postings p WHERE p.request_id = r.id AND p.kind IN (8, 9))`},
	{"I2 a resolved record still has an open amount, or an open one has none",
		`SELECT id FROM requests WHERE status = 1 AND (state = 1) <> (open > 0)`},
	{"I3 a card's available balance is below its floor",
		`SELECT id FROM accounts WHERE kind = 2 AND balance + credit_limit < 0`},
	{"I4 an approved request was posted other than exactly once",
		`SELECT r.id FROM requests r WHERE r.status = 1 AND 1 <> (
			SELECT count(*) FROM postings p WHERE p.request_id = r.id AND p.kind IN (2, 6, 7))`},
	{"I4 a declined request moved money",
		`SELECT DISTINCT r.id FROM requests r JOIN postings p ON p.request_id = r.id WHERE r.status <> 1`},
	{"I4 a request key is stored twice",
		`SELECT key FROM requests GROUP BY key HAVING count(*) > 1`},
	{"I5 an original that came after its reversal was not declined",
		`SELECT r.id FROM requests r JOIN tombstones t ON t.key = r.key WHERE r.status <> 7`},
	{"posting amounts must be positive and between two different accounts",
		`SELECT id FROM postings WHERE amount <= 0 OR debit_id = credit_id`},
}

// Audit checks reliability.md invariants I1–I5 on the books at path, at rest or while
// another process writes them (it reads one consistent snapshot), and runs SQLite's
// integrity check. Violations go in the Report; the error is for books that could not be
// read at all.
func Audit(ctx context.Context, path string) (Report, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return Report{}, fmt.Errorf("auditing %s: %w", path, err)
	}
	defer func() { _ = db.Close() }()
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
		(SELECT balance FROM accounts WHERE id = 1),
		(SELECT balance FROM accounts WHERE id = 3)`).Scan(&rep.Accounts, &rep.Requests, &rep.Approved,
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
