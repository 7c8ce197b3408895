package books_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

var ctx = context.Background()

func debitRef(serial uint32, balance bandeira.Amount) ledger.Ref {
	return ledger.Ref{ID: ledger.AccountID{BIN: "40000102", Serial: serial}, Opening: ledger.Opening{Balance: balance}}
}

func key(stan string) bandeira.Key { return newKey("12345", "T1", stan, "1126120000") }

func mustOpen(t *testing.T, path string, opts books.Options) *books.Books {
	t.Helper()
	opts.Log = zerolog.New(zerolog.NewTestWriter(t))
	bk, err := books.Open(ctx, path, books.DefaultConfig(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bk.Close() })
	return bk
}

func mustApply(t *testing.T, bk *books.Books, e ledger.Entry) ledger.Outcome {
	t.Helper()
	out, err := bk.Apply(ctx, e)
	require.NoError(t, err)
	return out
}

func requireAudit(t *testing.T, path string) books.Report {
	t.Helper()
	rep, err := books.Audit(ctx, path)
	require.NoError(t, err)
	require.Empty(t, rep.Violations)
	return rep
}

func TestRecovery(t *testing.T) {
	t.Run("a reopened ledger continues with balances, holds and keys", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		bk := mustOpen(t, path, books.Options{})
		ref := debitRef(1, 10_000)
		out := mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 2_500, AuthCode: "AAA111"})
		require.Equal(t, ledger.StatusApplied, out.Status)
		mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("9")}) // a tombstone
		require.NoError(t, bk.Close())

		bk = mustOpen(t, path, books.Options{})
		b, err := bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 10_000, Holds: 2_500}, b)
		out = mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 2_500, AuthCode: "BBB222"})
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, "AAA111", out.Record.AuthCode)
		out = mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("9"), Amount: 100, AuthCode: "CCC333"})
		require.Equal(t, ledger.StatusTombstoned, out.Status)
		require.Equal(t, bandeira.Amount(7_500), out.Balances.Available())
		require.Equal(t, 2, bk.Requests())
		require.NoError(t, bk.Close())
		rep := requireAudit(t, path)
		require.Equal(t, 1, rep.OpenHolds)
		require.Equal(t, int64(2_500), rep.Held)
		require.Equal(t, int64(-10_000), rep.Funding)
	})
	t.Run("books seeded from other cards are refused", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		bk := mustOpen(t, path, books.Options{Fingerprint: "seed=1"})
		require.NoError(t, bk.Close())
		_, err := books.Open(ctx, path, books.DefaultConfig(), books.Options{Fingerprint: "seed=2"})
		require.ErrorIs(t, err, books.ErrIncompatible)
	})
	t.Run("calls after Close fail with ErrClosed", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), books.Options{})
		require.NoError(t, bk.Close())
		require.NoError(t, bk.Close())
		_, err := bk.Apply(ctx, ledger.Entry{Ref: debitRef(1, 1), Kind: ledger.Hold, Key: key("1"), Amount: 1})
		require.ErrorIs(t, err, books.ErrClosed)
	})
	t.Run("malformed entries are errors and change nothing", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), books.Options{})
		for _, e := range []ledger.Entry{
			{Ref: debitRef(1, 100), Kind: ledger.Hold},
			{Ref: debitRef(1, 100), Kind: ledger.Capture, Amount: -1},
			{Ref: debitRef(1, 100), Kind: ledger.Kind(99), Amount: 5},
		} {
			_, err := bk.Apply(ctx, e)
			require.ErrorIs(t, err, ledger.ErrInvalidEntry)
		}
		require.Zero(t, bk.Requests())
	})
}

func TestHoldExpiry(t *testing.T) {
	t.Run("a hold is released after 7 days of ledger time and then resolves no more", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		var mu sync.Mutex
		now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		bk := mustOpen(t, path, books.Options{Now: clock})
		ref := debitRef(1, 10_000)
		mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 4_000, AuthCode: "A"})
		mu.Lock()
		now = now.Add(7*24*time.Hour - time.Second)
		mu.Unlock()
		require.NoError(t, bk.Expire(ctx))
		b, err := bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, bandeira.Amount(4_000), b.Holds)
		mu.Lock()
		now = now.Add(time.Second)
		mu.Unlock()
		require.NoError(t, bk.Expire(ctx))
		b, err = bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 10_000}, b)
		out := mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 4_000})
		require.Equal(t, ledger.StatusAlreadyReversed, out.Status)
		require.NoError(t, bk.Close())
		requireAudit(t, path)
	})
}

func TestGroupCommit(t *testing.T) {
	t.Run("concurrent callers share commits and all their effects are on disk", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		reg := prometheus.NewRegistry()
		bk := mustOpen(t, path, books.Options{Issuer: "nubank", Metrics: books.NewMetrics(reg)})
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for i := range 20 {
					out, err := bk.Apply(ctx, ledger.Entry{Ref: debitRef(uint32(g), 1_000_000), Kind: ledger.Debit,
						Key: key(string(rune('a'+g)) + string(rune('a'+i))), Amount: 10, AuthCode: "X"})
					require.NoError(t, err)
					require.Equal(t, ledger.StatusApplied, out.Status)
				}
			})
		}
		wg.Wait()
		commits := sample(t, reg, "bandeira_issuer_books_commits_total")
		require.NoError(t, bk.Close())
		require.Less(t, commits, float64(16*20), "some commits must serve several calls")
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		require.NoError(t, err)
		defer func() { _ = db.Close() }()
		var n int
		require.NoError(t, db.QueryRow("SELECT count(*) FROM requests WHERE status = 1").Scan(&n))
		require.Equal(t, 16*20, n)
		requireAudit(t, path)
	})
}

// sample returns the value of the named counter or gauge family's first sample.
func sample(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestIdempotency(t *testing.T) {
	t.Run("a key declined for funds stays declined after a top-up", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), books.Options{})
		ref := debitRef(1, 1_000)
		hold := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 5_000, AuthCode: "A"}
		require.Equal(t, ledger.StatusInsufficientFunds, mustApply(t, bk, hold).Status)
		mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Credit, Key: key("2"), Amount: 10_000, AuthCode: "B"})
		out := mustApply(t, bk, hold)
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, ledger.StatusInsufficientFunds, out.Record.Status)
		require.Equal(t, ledger.Balances{Balance: 11_000}, out.Balances)
	})
	t.Run("the same key with another card, amount, kind or type is a conflict and changes nothing", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), books.Options{})
		mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 1_000), Kind: ledger.Hold, Key: key("1"), Amount: 100, AuthCode: "A", Type: 1_000_000})
		for _, e := range []ledger.Entry{
			{Ref: debitRef(2, 1_000), Kind: ledger.Hold, Key: key("1"), Amount: 100},
			{Ref: debitRef(1, 1_000), Kind: ledger.Hold, Key: key("1"), Amount: 101},
			{Ref: debitRef(1, 1_000), Kind: ledger.Debit, Key: key("1"), Amount: 100},
			{Ref: debitRef(1, 1_000), Kind: ledger.Hold, Key: key("1"), Amount: 100, Type: 1_010_000},
		} {
			out := mustApply(t, bk, e)
			require.Equal(t, ledger.StatusConflict, out.Status, "%s %s", e.Kind, e.Amount)
		}
		b, err := bk.Balances(ctx, debitRef(1, 1_000))
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 1_000, Holds: 100}, b)
	})
}
