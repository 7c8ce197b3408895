package books_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

func TestKeysOutOfMemory(t *testing.T) {
	opts := books.Options{CacheRequests: 2, KeysInMemory: 4}
	t.Run("the index holds a bounded number of keys however many requests are stored", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), opts)
		for range 20 {
			fillCache(t, bk, 10)
			require.LessOrEqual(t, books.KeysInMemory(bk), 8, "two generations of 4")
		}
		require.Equal(t, 200, bk.Requests(), "every request is stored")
	})
	t.Run("a key the index dropped is answered from disk, before and after a restart", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		bk := mustOpen(t, path, opts)
		ref := debitRef(1, 10_000)
		hold := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 4_000, AuthCode: "A1"}
		require.Equal(t, ledger.StatusApplied, mustApply(t, bk, hold).Status)
		fillCache(t, bk, 50)
		out := mustApply(t, bk, hold)
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, "A1", out.Record.AuthCode)
		require.Equal(t, ledger.Balances{Balance: 10_000, Holds: 4_000}, out.Balances, "held once")
		require.NoError(t, bk.Close())

		bk = mustOpen(t, path, opts)
		require.LessOrEqual(t, books.KeysInMemory(bk), 8, "reopening loads the newest keys only")
		other := hold
		other.Amount = 5_000
		require.Equal(t, ledger.StatusConflict, mustApply(t, bk, other).Status, "the same key with another body")
		partial := bandeira.Amount(1_000)
		out = mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: &partial})
		require.Equal(t, ledger.StatusApplied, out.Status, "a reversal finds its original on disk")
		require.Equal(t, ledger.Balances{Balance: 10_000, Holds: 1_000}, out.Balances)
	})
	t.Run("a new key is new although the index has dropped keys", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), opts)
		fillCache(t, bk, 50)
		out := mustApply(t, bk, ledger.Entry{Ref: debitRef(2, 10_000), Kind: ledger.Hold, Key: key("2"), Amount: 100, AuthCode: "A2"})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, 51, bk.Requests())
	})
}
