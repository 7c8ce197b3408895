package books_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// auditedBooks writes a small valid history: holds (one captured then partly given back,
// one partly reversed), a debit, a refund, declines (for funds and for a CVV2), a
// tombstoned original, an inquiry and a stand-in approval beyond a card's balance.
func auditedBooks(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "b.db")
	bk := mustOpen(t, path, books.Options{})
	a, c := debitRef(1, 10_000), ledger.Ref{ID: ledger.AccountID{BIN: "40000101", Serial: 2}, Opening: ledger.Opening{CreditLimit: 5_000}}
	repl, kept := bandeira.Amount(300), bandeira.Amount(500)
	d := debitRef(3, 1_000)
	for _, e := range []ledger.Entry{
		{Ref: a, Kind: ledger.Hold, Key: key("1"), Amount: 1_000, AuthCode: "A1"},
		{Ref: a, Kind: ledger.Capture, Key: key("1"), Amount: 800},
		{Ref: a, Kind: ledger.Hold, Key: key("2"), Amount: 500, AuthCode: "A2"},
		{Ref: a, Kind: ledger.Reverse, Key: key("2"), Replacement: &repl},
		{Ref: c, Kind: ledger.Debit, Key: key("3"), Amount: 4_000, AuthCode: "A3"},
		{Ref: c, Kind: ledger.Hold, Key: key("4"), Amount: 4_000, AuthCode: "A4"},
		{Ref: c, Kind: ledger.Credit, Key: key("5"), Amount: 50, AuthCode: "A5"},
		{Ref: c, Kind: ledger.Reverse, Key: key("6")},
		{Ref: c, Kind: ledger.Hold, Key: key("6"), Amount: 10, AuthCode: "A6"},
		{Ref: c, Kind: ledger.Reverse, Key: key("1"), Replacement: &kept}, // another card: acts on a's
		{Ref: a, Kind: ledger.Inquiry, Key: key("7"), AuthCode: "A7"},
		{Ref: a, Kind: ledger.Hold, Key: key("8"), Amount: 10, Decline: bandeira.CVV2Mismatch},
		{Ref: d, Kind: ledger.Hold, Key: key("9"), Amount: 3_000, StandIn: true, AuthCode: "STIP01"},
	} {
		mustApply(t, bk, e)
	}
	require.NoError(t, bk.Close())
	return path
}

func TestAudit(t *testing.T) {
	t.Run("valid books pass and are summarised", func(t *testing.T) {
		rep := requireAudit(t, auditedBooks(t))
		require.Equal(t, books.Report{Accounts: 3, Requests: 9, Approved: 6, OpenHolds: 2, Held: 300 + 3_000,
			Postings: 11, Tombstones: 1, Funding: -11_000, Settlement: 800 - 300 + 4_000 - 50}, rep)
	})
	tampers := []struct {
		name, sql, want string
	}{
		{"a hold's posting amount changed", `UPDATE postings SET amount = amount + 100 WHERE kind = 2`, "I1 the holds account differs"},
		{"a posting moved to another card", `UPDATE postings SET debit_id = 101 WHERE kind = 2 AND debit_id = 100`, "I1 a posting does not move money"},
		{"a card opened twice", `INSERT INTO postings (request_id, kind, debit_id, credit_id, amount, at)
			SELECT request_id, kind, debit_id, credit_id, amount, at FROM postings WHERE kind = 1`, "I1 a card was opened more than once"},
		{"a posting written twice", `INSERT INTO postings (request_id, kind, debit_id, credit_id, amount, at)
			SELECT request_id, kind, debit_id, credit_id, amount, at FROM postings WHERE kind = 6`, "I4 an approved request was posted other than exactly once"},
		{"a posting's amount changed", `UPDATE postings SET amount = amount + 1 WHERE kind = 6`, "I4 an approved request was posted other than exactly once"},
		{"a hold captured twice", `INSERT INTO postings (request_id, kind, debit_id, credit_id, amount, at)
			SELECT request_id, kind, debit_id, credit_id, amount, at FROM postings WHERE kind = 3`, "I2 a hold was resolved more than once"},
		{"an overdrawn card", `UPDATE accounts SET credit_limit = 0 WHERE id = 101`, "I3"},
		{"a declined request that moved money", `UPDATE requests SET status = 2 WHERE kind = 2`, "I4 a declined request moved money"},
		{"a request key stored twice", `INSERT INTO requests (key, account_id, kind, amount, status, auth_code, open, state, created_at)
			SELECT key, account_id, kind, amount, 2, '', 0, 5, created_at FROM requests WHERE id = 1`, "I4 a request key is stored twice"},
		{"an account stored twice", `INSERT INTO accounts (kind, name) SELECT kind, name FROM accounts WHERE id = 100`, "I4 an account name is stored twice"},
		{"a tombstoned original approved", `UPDATE requests SET status = 1 WHERE status = 7`, "I5"},
		{"an open amount out of step", `UPDATE requests SET open = open - 1 WHERE kind = 1 AND state = 1`, "I2 a hold's open amount"},
		{"a captured amount out of step", `UPDATE requests SET open = open + 1 WHERE kind = 1 AND state = 2`, "I2 a captured hold's open amount"},
		{"more given back than captured", `UPDATE postings SET amount = 900 WHERE kind = 10`, "I2 a hold gave back more than it captured"},
		{"a stand-in approval unmarked", `UPDATE requests SET stand_in = 0`, "I3 a card's available balance is below its floor"},
		{"a decline without its code", `UPDATE requests SET code = '' WHERE status = 8`, "I2 a record is in a state"},
		{"an inquiry that holds", `UPDATE requests SET state = 1 WHERE kind = 6`, "I2 a record is in a state"},
	}
	for _, tt := range tampers {
		t.Run("finds "+tt.name, func(t *testing.T) {
			path := auditedBooks(t)
			db, err := sql.Open("sqlite", "file:"+path)
			require.NoError(t, err)
			_, err = db.Exec(tt.sql)
			require.NoError(t, err)
			require.NoError(t, db.Close())
			rep, err := books.Audit(ctx, path)
			require.NoError(t, err)
			require.NotEmpty(t, rep.Violations)
			require.True(t, strings.HasPrefix(strings.Join(rep.Violations, "\n"), tt.want) ||
				strings.Contains(strings.Join(rep.Violations, "\n"), "\n"+tt.want), "violations: %q", rep.Violations)
		})
	}
	t.Run("audits books that another connection is writing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		bk := mustOpen(t, path, books.Options{})
		mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 1_000), Kind: ledger.Hold, Key: key("1"), Amount: 10, AuthCode: "A"})
		rep := requireAudit(t, path)
		require.Equal(t, 1, rep.OpenHolds)
		mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 1_000), Kind: ledger.Hold, Key: key("2"), Amount: 10, AuthCode: "B"})
		require.Equal(t, 2, requireAudit(t, path).OpenHolds)
	})
	t.Run("unreadable books are an error", func(t *testing.T) {
		_, err := books.Audit(ctx, filepath.Join(t.TempDir(), "missing.db"))
		require.Error(t, err)
	})
}
