package books

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/issuers/ledger"
)

func TestWriterBatches(t *testing.T) {
	for _, n := range []int{1, store.MaxInsertRows - 1, store.MaxInsertRows, store.MaxInsertRows + 1, 2*store.MaxInsertRows + 3} {
		t.Run("a batch of "+strconv.Itoa(n)+" holds is written whole and reloads", func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "b.db")
			b, err := Open(ctx, path, DefaultConfig(), Options{})
			require.NoError(t, err)
			bt, err := b.do(func(at int64) error { // one batch: n requests, n+1 postings
				for i := range n {
					e := ledger.Entry{Ref: ledger.Ref{ID: ledger.AccountID{BIN: "40000102", Serial: 1}, Opening: ledger.Opening{Balance: 1 << 40}},
						Kind: ledger.Hold, Key: bandeira.Key{AcquirerID: "1", TerminalID: "T", STAN: strconv.Itoa(i + 1)}, Amount: 10, AuthCode: "A"}
					if _, err := b.st.apply(e, at); err != nil {
						return err
					}
				}
				return nil
			})
			require.NoError(t, err)
			require.NoError(t, bt.Wait(ctx))
			require.NoError(t, b.Close())

			b, err = Open(ctx, path, DefaultConfig(), Options{})
			require.NoError(t, err)
			defer func() { _ = b.Close() }()
			require.Equal(t, int64(n+2), b.st.nextPosting)
			require.Equal(t, n, b.st.keys.Len())
			require.EqualValues(t, 10*n, b.st.system[ledger.Holds].Balance)
			require.EqualValues(t, -(1 << 40), b.st.system[ledger.Funding].Balance)
		})
	}
	t.Run("an account row is written once and its PIN count updated in place", func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "b.db")
		b, err := Open(ctx, path, DefaultConfig(), Options{})
		require.NoError(t, err)
		ref := ledger.Ref{ID: ledger.AccountID{BIN: "40000102", Serial: 7}}
		for range 2 {
			_, err := b.PINTry(ctx, ref, false)
			require.NoError(t, err)
		}
		require.NoError(t, b.Close())
		b, err = Open(ctx, path, DefaultConfig(), Options{})
		require.NoError(t, err)
		defer func() { _ = b.Close() }()
		var rows int
		require.NoError(t, b.db.W.QueryRowContext(ctx, "SELECT count(*) FROM accounts WHERE kind = 2").Scan(&rows))
		require.Equal(t, 1, rows)
		require.Equal(t, 2, b.st.accounts[ref.ID].PINFailures)
	})
}
