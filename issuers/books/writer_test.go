package books

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/issuers/ledger"
)

func TestWriterChunks(t *testing.T) {
	for _, n := range []int{1, maxChunk - 1, maxChunk, maxChunk + 1, 2*maxChunk + 3} {
		t.Run("a batch of "+strconv.Itoa(n)+" postings is written whole and reloads", func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "b.db")
			b, err := Open(ctx, path, DefaultConfig(), Options{})
			require.NoError(t, err)
			r := rows{}
			for i := range n {
				r.postings = append(r.postings, posting{id: int64(i + 1), kind: postDebit,
					debit: accountFunding, credit: accountSettlement, amount: 10, at: 1})
			}
			require.NoError(t, b.commit(r, 1))
			require.NoError(t, b.Close())

			b, err = Open(ctx, path, DefaultConfig(), Options{})
			require.NoError(t, err)
			defer func() { _ = b.Close() }()
			require.Equal(t, int64(n+1), b.st.nextPosting)
			require.EqualValues(t, 10*n, b.st.system[accountSettlement].balance)
			require.EqualValues(t, -10*n, b.st.system[accountFunding].balance)
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
		require.NoError(t, b.db.QueryRowContext(ctx, "SELECT count(*) FROM accounts WHERE kind = 2").Scan(&rows))
		require.Equal(t, 1, rows)
		require.Equal(t, 2, b.st.accounts[ref.ID].pin)
	})
}
