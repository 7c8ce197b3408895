package books_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// fillCache applies n holds of 1 centavo on another card, so that a cache of fewer than
// n/2 requests no longer holds the ones before them.
func fillCache(t *testing.T, bk *books.Books, n int) {
	t.Helper()
	for i := range n {
		mustApply(t, bk, ledger.Entry{Ref: debitRef(9, 1_000_000), Kind: ledger.Hold,
			Key: key(fmt.Sprintf("fill-%d", i)), Amount: 1, AuthCode: "F"})
	}
}

func TestRequestsOutOfTheCache(t *testing.T) {
	t.Run("a retransmit, a partial reversal and a capture find a request read back from disk", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), books.Options{CacheRequests: 2})
		ref := debitRef(1, 10_000)
		hold := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 4_000, AuthCode: "A1"}
		mustApply(t, bk, hold)
		fillCache(t, bk, 10)
		out := mustApply(t, bk, hold)
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, "A1", out.Record.AuthCode)
		fillCache(t, bk, 10)
		partial := bandeira.Amount(1_500)
		out = mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: &partial})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(2_500), out.Released)
		fillCache(t, bk, 10)
		out = mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 1_000})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(500), out.Released)
		require.Equal(t, ledger.Balances{Balance: 9_000}, out.Balances)
	})
	t.Run("a failed read back answers an error and changes nothing", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), books.Options{CacheRequests: 1})
		ref := debitRef(1, 10_000)
		mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 4_000, AuthCode: "A1"})
		fillCache(t, bk, 4)
		require.NoError(t, books.CloseReader(bk))
		_, err := bk.Apply(ctx, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Error(t, err)
		b, err := bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 10_000, Holds: 4_000}, b)
	})
	t.Run("keys whose hashes collide stay apart", func(t *testing.T) {
		defer books.UseKeyHash(func(ledger.Key) uint64 { return 7 })()
		path := filepath.Join(t.TempDir(), "b.db")
		bk := mustOpen(t, path, books.Options{CacheRequests: 1})
		for i, amount := range []bandeira.Amount{100, 200, 300} {
			out := mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 10_000), Kind: ledger.Hold,
				Key: key(fmt.Sprint(i)), Amount: amount, AuthCode: fmt.Sprint("A", i)})
			require.Equal(t, ledger.StatusApplied, out.Status)
		}
		require.NoError(t, bk.Close())
		bk = mustOpen(t, path, books.Options{CacheRequests: 1})
		for i, amount := range []bandeira.Amount{100, 200, 300} {
			out := mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 10_000), Kind: ledger.Reverse, Key: key(fmt.Sprint(i))})
			require.Equal(t, ledger.StatusApplied, out.Status, "key %d", i)
			require.Equal(t, amount, out.Released, "key %d", i)
		}
		require.Equal(t, 3, bk.Requests())
	})
}

// BenchmarkHeapPerRequest reports the heap the books keep per request after 100,000
// holds on 1,000 cards (the cards' accounts included): go test -run XXX -bench
// HeapPerRequest ./issuers/books.
func BenchmarkHeapPerRequest(b *testing.B) {
	const n, cards = 100_000, 1_000
	for range b.N {
		cfg := books.DefaultConfig()
		cfg.Synchronous = books.SyncOff
		bk, err := books.Open(ctx, filepath.Join(b.TempDir(), "b.db"), cfg, books.Options{})
		require.NoError(b, err)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			_, err := bk.Apply(ctx, ledger.Entry{Ref: debitRef(uint32(i%cards), 1<<40), Kind: ledger.Hold,
				Key: ledger.NewKey("10000000001", "WAPP0001", fmt.Sprint(i), "1126120000"), Amount: 100, AuthCode: "ABC123"})
			require.NoError(b, err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/request")
		runtime.KeepAlive(bk)
		require.NoError(b, bk.Close())
	}
}
