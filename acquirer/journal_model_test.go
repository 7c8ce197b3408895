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

		add := func(a bandeira.Authorization) *store.Batch[[]Entry] {
			kind, ok := kindOf(&a)
			require.True(t, ok)
			var f bandeira.Fee
			if kind == EntrySale {
				f = mustPrice(t, acq, a)
			}
			bt, err := j.add(ctx, &a, approvedCredit, kind, f)
			require.NoError(t, err)
			require.NotNil(t, bt)
			return bt
		}
		sale := request("0100", "000000", "000001", 10000)
		var batches []*store.Batch[[]Entry]
		batches = append(batches, add(sale))
		for i := range 10 {
			batches = append(batches, add(request("0200", "000000", fmt.Sprintf("9%05d", i), 100)))
		}
		batches = append(batches, add(reversalOf(sale, "000002", amount(4000))))
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

// modelOps is a random run of sales, refunds, duplicates, reversals (full and partial)
// and completions of earlier requests, the same for every seed.
func modelOps(seed uint64, n int) []bandeira.Authorization {
	r := rand.New(rand.NewPCG(seed, 1))
	var done, ops []bandeira.Authorization
	for i := range n {
		stan := fmt.Sprintf("%06d", i+1)
		var a bandeira.Authorization
		switch k := r.IntN(10); {
		case len(done) == 0 || k < 4:
			a = request("0200", "000000", stan, bandeira.Amount(100+r.IntN(20000)))
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
		default:
			a = completionOf(done[r.IntN(len(done))], stan, bandeira.Amount(r.IntN(20000)))
		}
		ops = append(ops, a)
	}
	return ops
}

// playModel records ops as the gateway would, reopening the journal every reopenEvery ops
// (0: never), and returns what it journaled.
func playModel(t *testing.T, ops []bandeira.Authorization, capacity, reopenEvery int) []Entry {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, acq := mustJournalWith(t, path, capacity, nil)
	for i, a := range ops {
		if reopenEvery > 0 && i > 0 && i%reopenEvery == 0 {
			require.NoError(t, j.Close())
			j, acq = mustJournalWith(t, path, capacity, nil)
		}
		var f bandeira.Fee
		if kind, _ := kindOf(&a); kind == EntrySale {
			f = mustPrice(t, acq, a)
		}
		require.NoError(t, j.Record(context.Background(), a, approvedCredit, f), "op %d", i)
	}
	return entries(t, j)
}

func TestJournalModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		ops := modelOps(seed, 300)
		want := playModel(t, ops, 0, 0)
		require.Greater(t, len(want), 150)
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
