package books_test

import (
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// versionOne is what books of schema version 1 held: a card opened with R$ 100.00, a
// hold of R$ 25.00 captured for R$ 18.00 (its open amount 0, as version 1 kept it), an
// open hold of R$ 5.00, a tombstone naming the card and one of a terminal whose ID holds a
// "/". Keys were stored as acquirer/STAN/time/terminal until migration 4.
const versionOne = `
INSERT INTO accounts (id, kind, name) VALUES (100, 2, '40000102/1');
INSERT INTO requests (id, key, account_id, kind, amount, status, auth_code, open, state, reversed, created_at) VALUES
	(1, '12345/1/1126120000/T1', 100, 1, 2500, 1, 'AAA111', 0, 2, 0, 10),
	(2, '12345/2/1126120000/T1', 100, 1, 500, 1, 'AAA222', 500, 1, 0, 20);
INSERT INTO postings (id, request_id, kind, debit_id, credit_id, amount, at) VALUES
	(1, NULL, 1, 1, 100, 10000, 10),
	(2, 1, 2, 100, 2, 2500, 10),
	(3, 1, 3, 2, 3, 1800, 30),
	(4, 1, 4, 2, 100, 700, 30),
	(5, 2, 2, 100, 2, 500, 20);
INSERT INTO tombstones (key, account_id, at) VALUES ('12345/9/1126120000/T1', 100, 40), ('12345/8/1126120000/T/2', 100, 41);`

func TestMigrationFromVersionOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	db, err := store.Open(ctx, path, store.Config{Synchronous: store.SyncOff, Migrations: books.Migrations()[:1]})
	require.NoError(t, err)
	_, err = db.W.ExecContext(ctx, versionOne)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	// The rows' times are Unix nanoseconds near 0: so is the clock, so nothing expires.
	bk := mustOpen(t, path, books.Options{Now: func() time.Time { return time.Unix(0, 100) }})
	ref := debitRef(1, 10_000)
	t.Run("the books open on the new schema with every request, balance and tombstone", func(t *testing.T) {
		require.Equal(t, 2, bk.Requests())
		b, err := bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 8_200, Holds: 500}, b)
		out := mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("9"), Amount: 100, AuthCode: "T"})
		require.Equal(t, ledger.StatusTombstoned, out.Status)
	})
	t.Run("a captured hold keeps what it captured in effect, and a reversal gives it back", func(t *testing.T) {
		out := mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(1_800), out.Released)
		require.Equal(t, ledger.Balances{Balance: 10_000, Holds: 500}, out.Balances)
	})
	require.NoError(t, bk.Close())
	requireAudit(t, path)
	t.Run("the keys stored before migration 4 lead with their transmission time", func(t *testing.T) {
		db, err := store.OpenReadOnly(path, 1)
		require.NoError(t, err)
		defer func() { _ = db.Close() }()
		read := func(query string) (keys []string) {
			rs, err := db.QueryContext(ctx, query)
			require.NoError(t, err)
			defer func() { _ = rs.Close() }()
			for rs.Next() {
				var k string
				require.NoError(t, rs.Scan(&k))
				keys = append(keys, k)
			}
			require.NoError(t, rs.Err())
			return keys
		}
		require.Equal(t, []string{"1126120000/12345/1/T1", "1126120000/12345/2/T1"},
			read("SELECT key FROM requests WHERE id <= 2 ORDER BY id"))
		require.Equal(t, []string{"1126120000/12345/8/T/2", "1126120000/12345/9/T1"},
			read("SELECT key FROM tombstones ORDER BY key"))
	})
}

func TestStandInHolds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	bk := mustOpen(t, path, books.Options{Now: clock})
	ref := debitRef(1, 1_000)
	hold := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 5_000, Type: 1_000_000, AuthCode: "OWN001"}
	require.Equal(t, ledger.StatusInsufficientFunds, mustApply(t, bk, hold).Status)
	mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("2"), Amount: 100, AuthCode: "A2"})
	advance(3 * 24 * time.Hour)

	advice := hold
	advice.StandIn, advice.AuthCode = true, "STIP01"
	t.Run("a stand-in approval turns the issuer's decline into a hold beyond the balance", func(t *testing.T) {
		out := mustApply(t, bk, advice)
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, ledger.Balances{Balance: 1_000, Holds: 5_100}, out.Balances)
		require.Equal(t, bandeira.Amount(-4_100), out.Balances.Available())
		require.True(t, out.Record.StandIn)
		require.Equal(t, "STIP01", out.Record.AuthCode)
		require.Equal(t, ledger.StatusDuplicate, mustApply(t, bk, advice).Status, "a repeat changes nothing")
	})
	require.NoError(t, bk.Close())
	requireAudit(t, path)

	bk = mustOpen(t, path, books.Options{Now: clock})
	t.Run("after a reopen its hold expires from the advice, after the older hold", func(t *testing.T) {
		advance(4*24*time.Hour + time.Second) // 7 days after key 2's hold, 4 after the advice
		b, err := bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 1_000, Holds: 5_000}, b)
		advance(3 * 24 * time.Hour)
		b, err = bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 1_000}, b)
	})
	require.NoError(t, bk.Close())
	requireAudit(t, path)
}

func TestSequenceAndTombstones(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	codes := func(seq uint64) string { return "C" + strconv.FormatUint(seq, 10) }
	approve := func(bk *books.Books, stan string) string {
		out := mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 10_000), Kind: ledger.Debit, Key: key(stan), Amount: 1, AuthCodes: codes})
		require.Equal(t, ledger.StatusApplied, out.Status)
		return out.Record.AuthCode
	}
	bk := mustOpen(t, path, books.Options{})
	t.Run("auth codes come from the request ids, which a reopen never gives again", func(t *testing.T) {
		require.Equal(t, "C1", approve(bk, "1"))
		mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 10_000), Kind: ledger.Hold, Key: key("2"), Amount: 1, Decline: bandeira.CVV2Mismatch})
		require.Equal(t, "C3", approve(bk, "3"))
	})
	require.NoError(t, bk.Close())
	bk = mustOpen(t, path, books.Options{})
	t.Run("and after a reopen they continue", func(t *testing.T) {
		require.Equal(t, "C4", approve(bk, "4"))
	})
	t.Run("a reversal of nothing leaves a tombstone and opens no account, whatever card it names", func(t *testing.T) {
		unknown := ledger.Ref{ID: ledger.AccountID{BIN: "99999999", Serial: 5}, Opening: ledger.Opening{Balance: 700}}
		out := mustApply(t, bk, ledger.Entry{Ref: unknown, Kind: ledger.Reverse, Key: key("77")})
		require.Equal(t, ledger.StatusNotFound, out.Status)
		require.False(t, out.Matched())
		out = mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 10_000), Kind: ledger.Hold, Key: key("77"), Amount: 50, AuthCodes: codes})
		require.Equal(t, ledger.StatusTombstoned, out.Status)
		require.NoError(t, bk.Close())
		rep := requireAudit(t, path)
		require.Equal(t, 1, rep.Accounts, "only the card that was used")
		require.Equal(t, 1, rep.Tombstones)
	})
}
