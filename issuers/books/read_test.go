package books_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

func TestReadRequests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	bk := mustOpen(t, path, books.Options{})
	ref := debitRef(1, 10_000)
	replace := func(a bandeira.Amount) *bandeira.Amount { return &a }
	mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 3_000, AuthCode: "A"})
	mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: replace(1_000)})
	mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("2"), Amount: 500, AuthCode: "B"})
	mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("2")})
	mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("3"), Amount: 20_000, AuthCode: "C"})
	mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("4"), Amount: 2_000, AuthCode: "D"})
	mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("4"), Amount: 1_500})

	rs, err := books.ReadRequests(ctx, path)
	require.NoError(t, err)
	require.Len(t, rs, 4)
	byKey := map[bandeira.Key]books.Request{}
	for _, r := range rs {
		byKey[r.Key] = r
	}
	t.Run("a partly reversed hold holds what is left", func(t *testing.T) {
		r := byKey[key("1").Normal()]
		require.True(t, r.Approved())
		require.Equal(t, ledger.Hold, r.Kind)
		require.Equal(t, bandeira.Amount(3_000), r.Amount)
		require.Equal(t, bandeira.Amount(1_000), r.InEffect)
	})
	t.Run("a fully reversed debit holds nothing", func(t *testing.T) {
		r := byKey[key("2").Normal()]
		require.Equal(t, ledger.StateReversed, r.State)
		require.Zero(t, r.InEffect)
	})
	t.Run("a declined hold is declined and holds nothing", func(t *testing.T) {
		r := byKey[key("3").Normal()]
		require.False(t, r.Approved())
		require.Zero(t, r.InEffect)
	})
	t.Run("a captured hold keeps what it captured in effect", func(t *testing.T) {
		r := byKey[key("4").Normal()]
		require.Equal(t, ledger.StateCaptured, r.State)
		require.Equal(t, bandeira.Amount(1_500), r.InEffect)
		require.Equal(t, "D", r.AuthCode)
	})
}
