package acquirer

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
)

func TestJournalKeepsUncommittedEntries(t *testing.T) {
	t.Run("a reversal of a sale whose commit is still in flight finds it in a cache of 1", func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "journal.db")
		j, acq := mustJournalWith(t, path, 1, nil)
		other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
		require.NoError(t, err)
		defer func() { _ = other.Close() }()
		lock, err := other.Conn(ctx)
		require.NoError(t, err)
		_, err = lock.ExecContext(ctx, "BEGIN IMMEDIATE") // the writer cannot commit until ROLLBACK
		require.NoError(t, err)

		add := func(a bandeira.Authorization, res bandeira.Result) *store.Batch[[]Entry] {
			kind, ok := kindOf(&a)
			require.True(t, ok)
			var f bandeira.Fee
			if kind == EntrySale {
				f = mustPrice(t, acq, a)
			}
			bt, err := j.add(ctx, &a, res, kind, f)
			require.NoError(t, err)
			require.NotNil(t, bt)
			return bt
		}
		sale := request("0200", "000000", "000001", 10000)
		var batches []*store.Batch[[]Entry]
		batches = append(batches, add(sale, approvedCredit))
		for i := range 10 {
			batches = append(batches, add(request("0200", "000000", fmt.Sprintf("9%05d", i), 100), approvedCredit))
		}
		batches = append(batches, add(reversalOf(sale, "000002", amount(4000)), acked(4000)))
		_, err = lock.ExecContext(ctx, "ROLLBACK")
		require.NoError(t, err)
		require.NoError(t, lock.Close())
		for _, bt := range batches {
			require.NoError(t, bt.Wait(ctx))
		}
		eff := Effective(entries(t, j))
		require.Equal(t, DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit].Fee(4000), eff[0].Fee)
	})
}

// modelOp is one request of a model run and the issuer's answer to it.
type modelOp struct {
	a   bandeira.Authorization
	res bandeira.Result
}

// modelOps is a random run of sales (0200) and holds (0100), refunds, duplicates,
// reversals (full and partial) and completions of earlier requests, the same for every
// seed, each with the answer an issuer gives it: a reversal leaves min(what is in effect,
// field 95 or 0), a completion captures min(field 4, what is held) of an uncaptured hold
// and is refused for anything else, and an original the issuer never saw is matched to
// nothing.
func modelOps(seed uint64, n int) []modelOp {
	r := rand.New(rand.NewPCG(seed, 1))
	var done []bandeira.Authorization
	var ops []modelOp
	iss := newModelIssuer()
	for i := range n {
		stan := fmt.Sprintf("%06d", i+1)
		var a bandeira.Authorization
		switch k := r.IntN(12); {
		case len(done) == 0 || k < 4:
			mti := [...]string{"0100", "0200"}[r.IntN(2)]
			a = request(mti, "000000", stan, bandeira.Amount(100+r.IntN(20000)))
			done = append(done, a)
		case k == 4:
			a = request("0200", "200000", stan, bandeira.Amount(100+r.IntN(5000)))
			done = append(done, a)
		case k == 5:
			a = done[r.IntN(len(done))] // a duplicate
		case k == 6:
			a = reversalOf(done[r.IntN(len(done))], stan, nil)
		case k <= 8:
			a = reversalOf(done[r.IntN(len(done))], stan, amount(bandeira.Amount(r.IntN(20000))))
		case k == 9:
			a = reversalOf(request("0200", "000000", "9"+stan[1:], 100), stan, nil) // of nothing
		default:
			a = completionOf(done[r.IntN(len(done))], stan, bandeira.Amount(1+r.IntN(20000)))
		}
		ops = append(ops, modelOp{a, iss.answer(a)})
	}
	return ops
}

// modelIssuer answers as an issuer's books do, for the model run.
type modelIssuer struct{ open map[bandeira.Key]*modelHold }

type modelHold struct {
	amount   bandeira.Amount
	hold     bool
	captured bool
}

func newModelIssuer() *modelIssuer { return &modelIssuer{open: make(map[bandeira.Key]*modelHold)} }

func (m *modelIssuer) answer(a bandeira.Authorization) bandeira.Result {
	switch kind, _ := kindOf(&a); kind {
	case EntrySale, EntryRefund:
		if _, ok := m.open[a.Key().Normal()]; !ok {
			m.open[a.Key().Normal()] = &modelHold{amount: a.Amount, hold: kind == EntrySale && a.MTI.Class() == '1'}
		}
		return approvedCredit
	case EntryReversal:
		h := m.open[a.OriginalKey()]
		if h == nil {
			return approvedCredit // acknowledged, matched to nothing
		}
		rest := bandeira.Amount(0)
		if a.Replacement != nil {
			rest = *a.Replacement
		}
		h.amount = min(h.amount, rest)
		return acked(h.amount)
	case EntryCompletion:
		h := m.open[a.OriginalKey()]
		if h == nil || !h.hold || h.captured {
			return bandeira.Result{Code: bandeira.DuplicateTransmission}
		}
		h.captured, h.amount = true, min(h.amount, a.Amount)
		return acked(h.amount)
	}
	return bandeira.Result{Code: bandeira.InvalidTransaction}
}

// playModel records ops as the gateway would, reopening the journal every reopenEvery ops
// (0: never), and returns what it journaled.
func playModel(t *testing.T, ops []modelOp, capacity, reopenEvery int) []Entry {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, acq := mustJournalWith(t, path, capacity, nil)
	for i, op := range ops {
		if reopenEvery > 0 && i > 0 && i%reopenEvery == 0 {
			require.NoError(t, j.Close())
			j, acq = mustJournalWith(t, path, capacity, nil)
		}
		var f bandeira.Fee
		if kind, _ := kindOf(&op.a); kind == EntrySale {
			f = mustPrice(t, acq, op.a)
		}
		require.NoError(t, j.Record(context.Background(), op.a, op.res, f), "op %d", i)
	}
	return entries(t, j)
}

func TestJournalModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		ops := modelOps(seed, 300)
		want := playModel(t, ops, 0, 0)
		require.Greater(t, len(want), 150)
		t.Run(fmt.Sprintf("seed %d: the journal holds what the issuer holds, request by request", seed), func(t *testing.T) {
			requireAgreesWithIssuer(t, ops, want)
		})
		t.Run(fmt.Sprintf("seed %d: a cache of 1, reopened every 70 requests, journals what a big cache does", seed), func(t *testing.T) {
			require.Equal(t, want, playModel(t, ops, 1, 70))
		})
		t.Run(fmt.Sprintf("seed %d: a cache of 2 journals what a big cache does", seed), func(t *testing.T) {
			require.Equal(t, want, playModel(t, ops, 2, 0))
		})
	}
}

// mustPrice prices a sale of the demo merchant's Visa credit card.
func mustPrice(tb testing.TB, acq *Acquirer, a bandeira.Authorization) bandeira.Fee {
	tb.Helper()
	f, err := acq.Price(bandeira.Sale{MerchantID: a.MerchantID, Brand: bandeira.Visa, Product: bandeira.Credit, Amount: a.Amount})
	require.NoError(tb, err)
	return f
}

// requireAgreesWithIssuer checks that every sale and refund stands in the journal at the
// amount the issuer left in effect, captured holds presented and uncaptured ones not.
func requireAgreesWithIssuer(t *testing.T, ops []modelOp, journal []Entry) {
	t.Helper()
	iss := newModelIssuer()
	for _, op := range ops {
		iss.answer(op.a)
	}
	presented := map[bandeira.Key]bandeira.Amount{}
	for _, e := range Effective(journal) {
		presented[e.Key.Normal()] = max(e.Fee.Gross, -e.Fee.Gross)
	}
	held := map[bandeira.Key]bandeira.Amount{}
	for _, e := range OpenHolds(journal) {
		held[e.Key.Normal()] = e.Fee.Gross
	}
	for k, h := range iss.open {
		switch {
		case h.amount == 0:
			require.NotContains(t, presented, k)
			require.NotContains(t, held, k)
		case h.hold && !h.captured:
			require.Equal(t, h.amount, held[k], "hold %v", k)
			require.NotContains(t, presented, k)
		default:
			require.Equal(t, h.amount, presented[k], "%v", k)
		}
	}
}
