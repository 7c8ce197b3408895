package ledger_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
		m := ledger.NewMemory()
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
		m := ledger.NewMemory()
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 2500})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: amount(1000)})
		require.Equal(t, bandeira.Amount(1500), out.Released)
		require.Equal(t, ledger.Balances{Balance: 10000, Holds: 1000}, out.Balances)
	})

	t.Run("a debit posts at once and its reversal credits it back", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(10000)
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("1"), Amount: 4000})
		require.Equal(t, ledger.Balances{Balance: 6000}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: amount(3000)})
		require.Equal(t, bandeira.Amount(1000), out.Released)
		require.Equal(t, ledger.Balances{Balance: 7000}, out.Balances)
	})

	t.Run("a credit needs no funds and its reversal debits back", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(0)
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Credit, Key: key("1"), Amount: 700})
		require.Equal(t, ledger.Balances{Balance: 700}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, ledger.Balances{Balance: 0}, out.Balances)
	})

	t.Run("a credit reversal that would overdraw is refused and changes nothing", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(0)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Credit, Key: key("1"), Amount: 700})
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("2"), Amount: 500})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusInsufficientFunds, out.Status)
		require.Equal(t, ledger.Balances{Balance: 200}, out.Balances)
		require.False(t, out.Record.Reversed)
	})

	t.Run("a hold or debit beyond available is refused", func(t *testing.T) {
		m := ledger.NewMemory()
		for _, k := range []ledger.Kind{ledger.Hold, ledger.Debit} {
			out := apply(t, m, ledger.Entry{Ref: debitRef(1000), Kind: k, Key: key(k.String()), Amount: 1001})
			require.Equal(t, ledger.StatusInsufficientFunds, out.Status, k.String())
			require.Equal(t, ledger.Balances{Balance: 1000}, out.Balances)
		}
	})

	t.Run("a credit account spends down to its limit and no further", func(t *testing.T) {
		m := ledger.NewMemory()
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
	t.Run("reversals chain down to the lowest amount, and a late or repeated one changes nothing", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 100})
		steps := []struct {
			repl     *bandeira.Amount
			status   ledger.Status
			released bandeira.Amount
			open     bandeira.Amount
		}{
			{amount(40), ledger.StatusApplied, 60, 40},
			{amount(10), ledger.StatusApplied, 30, 10},
			{amount(40), ledger.StatusAlreadyReversed, 0, 10}, // the 40 again, late
			{nil, ledger.StatusApplied, 10, 0},
			{nil, ledger.StatusAlreadyReversed, 0, 0},
		}
		for i, s := range steps {
			out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: s.repl})
			require.Equal(t, s.status, out.Status, "step %d", i)
			require.Equal(t, s.released, out.Released, "step %d", i)
			require.Equal(t, s.open, out.Record.Open, "step %d", i)
			require.Equal(t, ledger.Balances{Balance: 10000, Holds: s.open}, out.Balances, "step %d", i)
		}
	})

	t.Run("a reversal after a capture gives back what was captured, down to field 95", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 2500})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 2000})
		require.Equal(t, bandeira.Amount(2000), out.Record.Open, "what the capture keeps in effect")
		require.Equal(t, ledger.Balances{Balance: 8000}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: amount(500)})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(1500), out.Released)
		require.Equal(t, ledger.Balances{Balance: 9500}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.Balances{Balance: 10000}, out.Balances)
		require.Zero(t, out.Record.Open)
		require.Equal(t, ledger.StatusAlreadyReversed, apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 1}).Status)
	})

	t.Run("a reversal or capture acts on its original's account, whatever card it names", func(t *testing.T) {
		m := ledger.NewMemory()
		debit, credit := debitRef(10000), creditRef(5000)
		apply(t, m, ledger.Entry{Ref: debit, Kind: ledger.Hold, Key: key("1"), Amount: 2500})
		apply(t, m, ledger.Entry{Ref: debit, Kind: ledger.Hold, Key: key("2"), Amount: 1000})
		out := apply(t, m, ledger.Entry{Ref: credit, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, ledger.Balances{Balance: 10000, Holds: 1000}, out.Balances, "the debit card's")
		out = apply(t, m, ledger.Entry{Kind: ledger.Capture, Key: key("2"), Amount: 1000})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, ledger.Balances{Balance: 9000}, out.Balances)
		b, err := m.Balances(ctx, credit)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{CreditLimit: 5000}, b, "the named card is untouched")
	})

	t.Run("a reversal with no original is not found, and its original comes declined", func(t *testing.T) {
		m := ledger.NewMemory()
		out := apply(t, m, ledger.Entry{Ref: debitRef(10000), Kind: ledger.Reverse, Key: key("404")})
		require.Equal(t, ledger.StatusNotFound, out.Status)
		require.Equal(t, ledger.Balances{Balance: 10000}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: debitRef(10000), Kind: ledger.Hold, Key: key("404"), Amount: 100, AuthCode: "T"})
		require.Equal(t, ledger.StatusTombstoned, out.Status)
		require.Equal(t, ledger.Balances{Balance: 10000}, out.Balances)
		out = apply(t, m, ledger.Entry{Ref: debitRef(10000), Kind: ledger.Hold, Key: key("404"), Amount: 100, AuthCode: "U"})
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, ledger.StatusTombstoned, out.Record.Status, "the key keeps its answer")
	})

	t.Run("a second entry under one key is a duplicate and changes nothing", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("1"), Amount: 100, AuthCode: "X"})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key("1"), Amount: 100, AuthCode: "Y"})
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, "X", out.Record.AuthCode)
		require.Equal(t, ledger.Balances{Balance: 9900}, out.Balances)
	})

	t.Run("the same key with another card, kind or amount is a conflict and changes nothing", func(t *testing.T) {
		m := ledger.NewMemory()
		apply(t, m, ledger.Entry{Ref: debitRef(1000), Kind: ledger.Hold, Key: key("1"), Amount: 100, AuthCode: "A", Type: 1_000_000})
		for _, e := range []ledger.Entry{
			{Ref: creditRef(1000), Kind: ledger.Hold, Key: key("1"), Amount: 100},
			{Ref: debitRef(1000), Kind: ledger.Hold, Key: key("1"), Amount: 101},
			{Ref: debitRef(1000), Kind: ledger.Debit, Key: key("1"), Amount: 100},
			{Ref: debitRef(1000), Kind: ledger.Hold, Key: key("1"), Amount: 100, Type: 1_010_000},
		} {
			out := apply(t, m, e)
			require.Equal(t, ledger.StatusConflict, out.Status, "%s %s", e.Kind, e.Amount)
		}
		b, err := m.Balances(ctx, debitRef(1000))
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 1000, Holds: 100}, b)
	})

	t.Run("a stand-in approval binds over a decline, beyond the balance, and the audit allows it", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(1_000)
		hold := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 5_000, AuthCode: "OWN"}
		require.Equal(t, ledger.StatusInsufficientFunds, apply(t, m, hold).Status)
		hold.StandIn, hold.AuthCode = true, "STIP01"
		out := apply(t, m, hold) // apply audits
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(-4_000), out.Balances.Available())
		require.Equal(t, ledger.StatusDuplicate, apply(t, m, hold).Status)
		out = apply(t, m, ledger.Entry{Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.Balances{Balance: 1_000}, out.Balances)
	})

	t.Run("every decision is remembered: a corrected retransmit of a decline is declined the same", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(1_000)
		e := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 100, Decline: bandeira.CVV2Mismatch}
		require.Equal(t, ledger.StatusDeclined, apply(t, m, e).Status)
		e.Decline = ""
		out := apply(t, m, e)
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, ledger.Record{Account: ref.ID, Kind: ledger.Hold, Amount: 100, Status: ledger.StatusDeclined, Code: bandeira.CVV2Mismatch}, out.Record)
		inquiry := ledger.Entry{Ref: ref, Kind: ledger.Inquiry, Key: key("2"), AuthCodes: func(seq uint64) string { return fmt.Sprint(seq) }}
		out = apply(t, m, inquiry)
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, "2", out.Record.AuthCode, "the second request the ledger remembers")
		require.Equal(t, ledger.Balances{Balance: 1_000}, out.Balances)
	})

	t.Run("a key declined for funds stays declined after a top-up", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(1_000)
		hold := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 5_000, AuthCode: "A"}
		require.Equal(t, ledger.StatusInsufficientFunds, apply(t, m, hold).Status)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Credit, Key: key("2"), Amount: 10_000, AuthCode: "B"})
		out := apply(t, m, hold)
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, ledger.StatusInsufficientFunds, out.Record.Status)
		require.Equal(t, ledger.Balances{Balance: 11_000}, out.Balances)
		require.Equal(t, 2, m.Requests())
	})

	t.Run("keys match in normal form: field 90's zero padding finds the original", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(10000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("42"), Amount: 100})
		padded := bandeira.Key{AcquirerID: "00000012345", TerminalID: "T1", STAN: "000042", TransmissionTime: "0101120000"}
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: padded})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(100), out.Released)
	})

	t.Run("every key is remembered: a reversal finds its original after a thousand others on the card", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(1_000_000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("first"), Amount: 500})
		for i := range 1000 {
			apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: key(fmt.Sprint("d", i)), Amount: 1})
		}
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("first")})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(500), out.Released)
		require.Equal(t, ledger.Balances{Balance: 999_000}, out.Balances)
	})

	t.Run("a capture settles part of a hold and releases the rest, once", func(t *testing.T) {
		m := ledger.NewMemory()
		ref := debitRef(10_000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 4_000, AuthCode: "H"})
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 3_000})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(1_000), out.Released)
		require.Equal(t, ledger.Balances{Balance: 7_000}, out.Balances)
		require.Equal(t, "H", out.Record.AuthCode)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 3_000})
		require.Equal(t, ledger.StatusAlreadyReversed, out.Status)
		require.Equal(t, ledger.Balances{Balance: 7_000}, out.Balances)
	})

	t.Run("malformed entries are errors and change nothing", func(t *testing.T) {
		m := ledger.NewMemory()
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
		m := ledger.NewMemory()
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
		m := ledger.NewMemory()
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

func TestMemoryExpiry(t *testing.T) {
	t.Run("a hold is released HoldExpiry after it was placed, in the ledger's clock, and then resolves no more", func(t *testing.T) {
		var mu sync.Mutex
		now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		m := ledger.NewMemory(ledger.WithClock(clock), ledger.WithHoldExpiry(time.Hour))
		ref := debitRef(10_000)
		apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 4_000, AuthCode: "A"})
		advance(time.Hour - time.Nanosecond)
		b, err := m.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, bandeira.Amount(4_000), b.Holds)
		advance(time.Nanosecond)
		b, err = m.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 10_000}, b)
		require.NoError(t, m.Audit())
		out := apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 4_000})
		require.Equal(t, ledger.StatusAlreadyReversed, out.Status)
		out = apply(t, m, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Equal(t, ledger.StatusAlreadyReversed, out.Status)
	})
	t.Run("a clock that goes backwards is held at its latest reading", func(t *testing.T) {
		times := []time.Time{time.Unix(100, 0), time.Unix(50, 0)}
		c := ledger.NewClock(func() time.Time { t0 := times[0]; times = times[1:]; return t0 })
		require.Equal(t, int64(100e9), c.Now())
		require.Equal(t, int64(100e9), c.Now())
	})
}

// BenchmarkMemoryApply measures parallel debits, each under a new key, spread over
// 10,000 accounts.
func BenchmarkMemoryApply(b *testing.B) {
	b.ReportAllocs()
	m := ledger.NewMemory()
	var next atomic.Uint32
	b.RunParallel(func(pb *testing.PB) {
		g := next.Add(1) << 20
		for i := uint32(0); pb.Next(); i++ {
			ref := ledger.Ref{ID: ledger.AccountID{BIN: "40000102", Serial: g + i%10_000}, Opening: ledger.Opening{Balance: 1 << 40}}
			k := bandeira.Key{AcquirerID: "12345", TerminalID: strconv.FormatUint(uint64(g), 10), STAN: strconv.FormatUint(uint64(i), 10), TransmissionTime: "0101120000"}
			out, err := m.Apply(ctx, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: k, Amount: 1})
			if err != nil || out.Status != ledger.StatusApplied {
				b.Errorf("apply: %v %v", out.Status, err)
				return
			}
		}
	})
}
