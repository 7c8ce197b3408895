package books_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// TestMemoryAndBooksAgree runs the same random operations (holds, debits, refunds,
// inquiries, declines the bank decided, PIN checks, stand-in advices approved and
// declined, retransmits, conflicting keys and types, captures, chains of full and partial
// reversals, reversals and captures naming another card, reversals before their
// originals, PIN tries, hold expiry as the clock moves, reopening the books) against
// ledger.Memory and the SQLite books, and requires identical outcomes after every one
// (auth codes drawn from each ledger's own sequence included) and identical balances,
// request counts and clean audits at the end: both are stores around one engine.
// BOOKS_AGREE_SEEDS scales it up.
func TestMemoryAndBooksAgree(t *testing.T) {
	for seed := uint64(1); seed <= uint64(envInt("BOOKS_AGREE_SEEDS", 4)); seed++ {
		cache := []int{0, 1}[seed%2] // with a cache of 1 the books read requests back from disk
		t.Run(fmt.Sprintf("seed %d, cache %d: every outcome and balance is the same", seed, cache), func(t *testing.T) {
			runAgreement(t, seed, 500, cache)
		})
	}
}

type agreement struct {
	t      *testing.T
	rng    *rand.Rand
	clock  atomic.Int64
	mem    *ledger.Memory
	bk     *books.Books
	path   string
	opts   books.Options
	posted []ledger.Entry // holds, debits and credits sent, for retransmits and reversals
	n      int
}

func runAgreement(t *testing.T, seed uint64, ops, cache int) {
	a := &agreement{t: t, rng: rand.New(rand.NewPCG(seed, 0xa9ee)), path: filepath.Join(t.TempDir(), "b.db")}
	a.clock.Store(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).UnixNano())
	a.opts = books.Options{Now: a.now, CacheRequests: cache}
	a.mem = ledger.NewMemory(ledger.WithClock(a.now))
	a.bk = mustOpen(t, a.path, a.opts)
	for i := range ops {
		a.step(i)
	}
	for _, ref := range modelRefs {
		want, err := a.mem.Balances(ctx, ref)
		require.NoError(t, err)
		got, err := a.bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, want, got, "balances of %s", ref.ID)
	}
	require.Equal(t, a.mem.Requests(), a.bk.Requests())
	require.NoError(t, a.mem.Audit())
	require.NoError(t, a.bk.Close())
	requireAudit(t, a.path)
}

func (a *agreement) now() time.Time { return time.Unix(0, a.clock.Load()).UTC() }

func (a *agreement) step(i int) {
	switch p := a.rng.IntN(100); {
	case p < 3:
		a.clock.Add(int64(time.Duration(a.rng.IntN(96)) * time.Hour))
	case p < 5:
		require.NoError(a.t, a.bk.Close())
		a.bk = mustOpen(a.t, a.path, a.opts)
	case p < 9:
		ref, ok := modelRefs[a.rng.IntN(len(modelRefs))], a.rng.IntN(3) == 0
		want, err := a.mem.PINTry(ctx, ref, ok)
		require.NoError(a.t, err)
		got, err := a.bk.PINTry(ctx, ref, ok)
		require.NoError(a.t, err)
		require.Equal(a.t, want, got, "op %d: PIN try", i)
		return
	}
	e := a.entry()
	want, err := a.mem.Apply(ctx, e)
	require.NoError(a.t, err)
	got, err := a.bk.Apply(ctx, e)
	require.NoError(a.t, err)
	require.Equal(a.t, want, got, "op %d: %s %+v", i, e.Kind, e.Key)
}

// authCodes derives an auth code from a ledger's sequence, as a bank does.
func authCodes(seq uint64) string { return "Q" + strconv.FormatUint(seq, 10) }

// entry draws the next entry.
func (a *agreement) entry() ledger.Entry {
	ref := modelRefs[a.rng.IntN(len(modelRefs))]
	amount := bandeira.Amount(1 + a.rng.IntN(4_000))
	a.n++
	fresh := bandeira.Key{AcquirerID: "0012345", TerminalID: "T1", STAN: fmt.Sprintf("%06d", a.n), TransmissionTime: "1126120000"}
	old := func() ledger.Entry {
		if len(a.posted) == 0 {
			return ledger.Entry{Ref: ref, Key: fresh}
		}
		return a.posted[a.rng.IntN(len(a.posted))]
	}
	other := func(e ledger.Entry) ledger.Entry { // reversals and captures may name any card
		if a.rng.IntN(3) == 0 {
			e.Ref = ref
		}
		return e
	}
	var e ledger.Entry
	switch p := a.rng.IntN(100); {
	case p < 40:
		kinds := []ledger.Kind{ledger.Hold, ledger.Hold, ledger.Hold, ledger.Debit, ledger.Credit, ledger.Inquiry}
		types := []uint32{typeHold, typeHold, typeHold, typeDebit, typeCredit, typeInquiry}
		k := a.rng.IntN(len(kinds))
		e = ledger.Entry{Ref: ref, Kind: kinds[k], Type: types[k], Key: fresh, Amount: amount, AuthCodes: authCodes}
		switch q := a.rng.IntN(10); {
		case q == 0:
			e.Decline = bandeira.CVV2Mismatch
		case q == 1:
			e.PIN, e.PINTries = ledger.PINWrong, 3
		case q == 2:
			e.PIN, e.PINTries = ledger.PINRight, 3
		case q == 3 && e.Kind == ledger.Hold:
			e.StandIn, e.Amount, e.AuthCodes, e.AuthCode = true, amount*5, nil, "STIP"
		}
		a.posted = append(a.posted, e)
	case p < 48: // a retransmit with another auth code: the first answer stands
		e = old()
		e.AuthCode, e.AuthCodes = "X", nil
		if e.Kind == 0 {
			e.Kind, e.Amount = ledger.Hold, amount
		}
	case p < 52: // a stand-in advice for an earlier key: it binds over a decline
		e = old()
		if e.Kind != ledger.Hold && e.Kind != ledger.Debit {
			e.Kind, e.Amount = ledger.Hold, amount
		}
		e.StandIn, e.Decline, e.PIN, e.AuthCode, e.AuthCodes = true, "", ledger.PINAbsent, "STIP", nil
	case p < 57: // the same key with another amount or type, or from another card
		e = old()
		e.Kind, e.Amount, e.Type, e.AuthCodes = ledger.Hold, amount+1, typeHold, authCodes
		if a.rng.IntN(2) == 0 {
			e.Ref, e.Amount = ref, amount
		}
	case p < 69:
		o := other(old())
		e = ledger.Entry{Ref: o.Ref, Kind: ledger.Capture, Key: o.Key, Amount: amount}
	case p < 92:
		o := other(old())
		e = ledger.Entry{Ref: o.Ref, Kind: ledger.Reverse, Key: o.Key}
		if a.rng.IntN(2) == 0 {
			repl := bandeira.Amount(a.rng.IntN(3_000))
			e.Replacement = &repl
		}
	default: // a reversal before its original, which may come later as a retransmit
		e = ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: fresh}
		a.posted = append(a.posted, ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: fresh, Amount: amount, AuthCode: "L"})
	}
	if a.rng.IntN(4) == 0 { // field 90 style zero padding: the same request in normal form
		e.Key.STAN = "0" + e.Key.STAN
	}
	return e
}
