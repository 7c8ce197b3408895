package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

var ctx = context.Background()

func debitRef(balance bandeira.Amount) ledger.Ref {
	return ledger.Ref{ID: ledger.AccountID{BIN: "40000102", Serial: 7}, Opening: ledger.Opening{Balance: balance}}
}

func creditRef(limit bandeira.Amount) ledger.Ref {
	return ledger.Ref{ID: ledger.AccountID{BIN: "40000101", Serial: 7}, Opening: ledger.Opening{CreditLimit: limit}}
}

func key(stan string) bandeira.Key {
	return bandeira.Key{AcquirerID: "12345", TerminalID: "T1", STAN: stan, TransmissionTime: "0101120000"}
}

func apply(t *testing.T, m *ledger.Memory, e ledger.Entry) ledger.Outcome {
	t.Helper()
	out, err := m.Apply(ctx, e)
	require.NoError(t, err)
	require.NoError(t, m.Audit())
	return out
}

func amount(a bandeira.Amount) *bandeira.Amount { return &a }

func TestMemoryArithmetic(t *testing.T) {
	t.Run("a hold reduces available but not the balance, and a reversal releases it", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(10000)
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 2500, AuthCode: "A1"})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, ledger.Balances{Balance: 10000, Holds: 2500}, out.Balances)
		require.Equal(t, bandeira.Amount(7500), out.Balances.Available())

		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(2500), out.Released)
		require.Equal(t, ledger.Balances{Balance: 10000}, out.Balances)
		require.Equal(t, "A1", out.Record.AuthCode)
	})

	t.Run("a partial reversal of a hold releases only the difference", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 2500})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: amount(1000)})
		require.Equal(t, bandeira.Amount(1500), out.Released)
		require.Equal(t, ledger.Balances{Balance: 10000, Holds: 1000}, out.Balances)
	})

	t.Run("a debit posts at once and its reversal credits it back", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(10000)
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("1"), Amount: 4000})
		require.Equal(t, ledger.Balances{Balance: 6000}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: amount(3000)})
		require.Equal(t, bandeira.Amount(1000), out.Released)
		require.Equal(t, ledger.Balances{Balance: 7000}, out.Balances)
	})

	t.Run("a credit needs no funds and its reversal debits back", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(0)
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Credit, Key: key("1"), Amount: 700})
		require.Equal(t, ledger.Balances{Balance: 700}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, ledger.Balances{Balance: 0}, out.Balances)
	})

	t.Run("a credit reversal that would overdraw is refused and changes nothing", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(0)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Credit, Key: key("1"), Amount: 700})
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("2"), Amount: 500})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusInsufficientFunds, out.Status)
		require.Equal(t, ledger.Balances{Balance: 200}, out.Balances)
		require.False(t, out.Record.Reversed)
	})

	t.Run("a hold or debit beyond available is refused", func(t *testing.T) {
		m := ledger.NewMemory(0)
		for _, k := range []ledger.Kind{ledger.Hold, ledger.Debit} {
			out := apply(t, m, ledger.Entry{Ref: debitRef(1000), Kind: k, Key: key("9"), Amount: 1001})
			require.Equal(t, ledger.StatusInsufficientFunds, out.Status, k.String())
			require.Equal(t, ledger.Balances{Balance: 1000}, out.Balances)
		}
	})

	t.Run("a credit account spends down to its limit and no further", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := creditRef(5000)
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("1"), Amount: 3000})
		require.Equal(t, ledger.Balances{Balance: -3000, CreditLimit: 5000}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("2"), Amount: 2000})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(0), out.Balances.Available())
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("3"), Amount: 1})
		require.Equal(t, ledger.StatusInsufficientFunds, out.Status)
	})
}

func TestMemoryResolution(t *testing.T) {
	t.Run("a second reversal changes nothing", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 2500})
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: amount(2000)})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusAlreadyReversed, out.Status)
		require.Equal(t, ledger.Balances{Balance: 10000, Holds: 2000}, out.Balances)
	})

	t.Run("a reversal with no original is not found and changes nothing", func(t *testing.T) {
		m := ledger.NewMemory(0)
		out := apply(t, m, ledger.Entry{Ref: debitRef(10000), Kind: ledger.Reverse, Key: key("404")})
		require.Equal(t, ledger.StatusNotFound, out.Status)
		require.Equal(t, ledger.Balances{Balance: 10000}, out.Balances)
	})

	t.Run("a second entry under one key is a duplicate and changes nothing", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("1"), Amount: 100, AuthCode: "X"})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("1"), Amount: 100, AuthCode: "Y"})
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, "X", out.Record.AuthCode)
		require.Equal(t, ledger.Balances{Balance: 9900}, out.Balances)
	})

	t.Run("keys match in normal form: field 90's zero padding finds the original", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("42"), Amount: 100})
		padded := bandeira.Key{AcquirerID: "00000012345", TerminalID: "T1", STAN: "000042", TransmissionTime: "0101120000"}
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: padded})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(100), out.Released)
	})

	t.Run("evicting the oldest record expires its hold", func(t *testing.T) {
		m := ledger.NewMemory(2)
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 100})
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("2"), Amount: 200})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("3"), Amount: 300})
		require.Equal(t, ledger.Balances{Balance: 9800, Holds: 300}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusNotFound, out.Status)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("3")})
		require.Equal(t, ledger.Balances{Balance: 9800}, out.Balances)
	})

	t.Run("malformed entries are errors and change nothing", func(t *testing.T) {
		m := ledger.NewMemory(0)
		for _, e := range []ledger.Entry{
			{Ref: debitRef(100), Kind: ledger.Hold, Amount: 0},
			{Ref: debitRef(100), Kind: ledger.Debit, Amount: -5},
			{Ref: debitRef(100), Kind: ledger.Kind(99), Amount: 5},
		} {
			_, err := m.Apply(ctx, e)
			require.ErrorIs(t, err, ledger.ErrInvalidEntry)
		}
		b, err := m.Balances(ctx, debitRef(100))
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 100}, b)
	})
}

func TestMemoryPINTries(t *testing.T) {
	t.Run("wrong PINs count up and a correct one resets", func(t *testing.T) {
		m := ledger.NewMemory(0)
		ref := debitRef(1)
		for want := 1; want <= 3; want++ {
			n, err := m.PINTry(ctx, ref, false)
			require.NoError(t, err)
			require.Equal(t, want, n)
		}
		n, err := m.PINTry(ctx, ref, true)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = m.PINTry(ctx, ref, false)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

func TestMemoryConcurrency(t *testing.T) {
	t.Run("concurrent debits on one account never overdraw", func(t *testing.T) {
		m := ledger.NewMemory(1000)
		ref := debitRef(10000)
		var wg sync.WaitGroup
		var mu sync.Mutex
		approved := 0
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					out, err := m.Apply(ctx, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key(fmt.Sprint(g*100 + i)), Amount: 300})
					require.NoError(t, err)
					if out.Status == ledger.StatusApplied {
						mu.Lock()
						approved++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		require.Equal(t, 33, approved)
		b, err := m.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, bandeira.Amount(100), b.Balance)
		require.NoError(t, m.Audit())
	})
}

func TestAccountIDString(t *testing.T) {
	t.Run("masks all but the last two serial digits", func(t *testing.T) {
		require.Equal(t, "40000101/*****23", ledger.AccountID{BIN: "40000101", Serial: 123}.String())
	})
}

// BenchmarkMemoryApply measures parallel debits spread over 10,000 accounts. Keys cycle
// through more values per account than the ledger keeps, so every entry is new.
func BenchmarkMemoryApply(b *testing.B) {
	b.ReportAllocs()
	m := ledger.NewMemory(0)
	keys := make([]bandeira.Key, 256)
	for i := range keys {
		keys[i] = key(fmt.Sprint(i))
	}
	var next atomic.Uint32
	b.RunParallel(func(pb *testing.PB) {
		g := next.Add(1) << 20
		for i := uint32(0); pb.Next(); i++ {
			ref := ledger.Ref{ID: ledger.AccountID{BIN: "40000102", Serial: g + i%10_000}, Opening: ledger.Opening{Balance: 1 << 40}}
			out, err := m.Apply(ctx, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: keys[(i/10_000)%256], Amount: 1})
			if err != nil || out.Status != ledger.StatusApplied {
				b.Errorf("apply: %v %v", out.Status, err)
				return
			}
		}
	})
}
