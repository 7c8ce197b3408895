package acquirer

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// mustJournalWith opens a journal at path with the given cache capacity and key hash (nil:
// the real one), synchronous off to keep the tests fast.
func mustJournalWith(tb testing.TB, path string, cacheEntries int, hash func(bandeira.Key) uint64) (*Journal, *Acquirer) {
	tb.Helper()
	acq, _ := mustAcquirer(tb, DefaultConfig())
	j, err := OpenJournal(context.Background(), path, acq, JournalOptions{Synchronous: "off", CacheEntries: cacheEntries,
		keyHash: hash, Log: zerolog.New(zerolog.NewTestWriter(tb)), Now: func() time.Time { return journalClock }})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = j.Close() })
	return j, acq
}

// cached reports whether the cache holds entry id.
func cached(j *Journal, id int64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.cache.Contains(id)
}

// cacheLen is how many entries the cache holds.
func cacheLen(j *Journal) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.cache.Len()
}

func amount(v bandeira.Amount) *bandeira.Amount { return &v }

func completionOf(orig bandeira.Authorization, stan string, captured bandeira.Amount) bandeira.Authorization {
	c := reversalOf(orig, stan, nil)
	c.MTI, c.Amount = "0220", captured
	return c
}

// fillers records n sales of 100 centavos with STANs 9xxxxx, pushing others out of a small cache.
func fillers(tb testing.TB, j *Journal, acq *Acquirer, from, n int) {
	tb.Helper()
	for i := from; i < from+n; i++ {
		recordSale(tb, j, acq, request("0200", "000000", fmt.Sprintf("9%05d", i), 100), approvedCredit)
	}
}

// amendEvicted runs sales, a refund, reversals, completions and duplicates of originals
// that many other sales have pushed out of a small cache; it returns what was journaled.
func amendEvicted(t *testing.T, j *Journal, acq *Acquirer, small bool) []Entry {
	ctx := context.Background()
	a, b, c := request("0100", "000000", "000001", 10000), request("0200", "000000", "000002", 5000), request("0100", "000000", "000003", 8000)
	refund := request("0200", "200000", "000004", 700)
	recordSale(t, j, acq, a, approvedCredit)
	recordSale(t, j, acq, b, approvedCredit)
	recordSale(t, j, acq, c, approvedCredit)
	require.NoError(t, j.Record(ctx, refund, approvedCredit, bandeira.Fee{}))
	fillers(t, j, acq, 0, 20)
	if small {
		for id := int64(1); id <= 4; id++ {
			require.False(t, cached(j, id), "entry %d is still cached", id)
		}
		require.LessOrEqual(t, cacheLen(j), 4)
	}
	require.NoError(t, j.Record(ctx, reversalOf(a, "000101", amount(6000)), acked(6000), bandeira.Fee{}))
	fillers(t, j, acq, 20, 10)
	recordSale(t, j, acq, a, approvedCredit) // a duplicate: nothing
	require.NoError(t, j.Record(ctx, reversalOf(a, "000102", amount(2500)), acked(2500), bandeira.Fee{}))
	require.NoError(t, j.Record(ctx, reversalOf(b, "000103", nil), acked(0), bandeira.Fee{}))
	require.NoError(t, j.Record(ctx, completionOf(c, "000104", 3000), acked(3000), bandeira.Fee{}))
	require.NoError(t, j.Record(ctx, reversalOf(refund, "000105", amount(300)), acked(300), bandeira.Fee{}))
	fillers(t, j, acq, 30, 5)
	require.NoError(t, j.Record(ctx, reversalOf(a, "000106", amount(2500)), acked(2500), bandeira.Fee{}), "changes nothing")
	require.NoError(t, j.Record(ctx, completionOf(refund, "000107", 100), acked(100), bandeira.Fee{}), "a refund has no completion")
	require.NoError(t, j.Record(ctx, reversalOf(a, "000108", nil), acked(0), bandeira.Fee{}))
	recordSale(t, j, acq, b, approvedCredit) // a duplicate of a reversed sale: nothing
	return entries(t, j)
}

func TestJournalEvictedOriginals(t *testing.T) {
	ref, refAcq := mustJournalWith(t, filepath.Join(t.TempDir(), "journal.db"), 0, nil)
	want := amendEvicted(t, ref, refAcq, false)
	require.Len(t, want, 4+35+6)
	require.Zero(t, counterValue(t, ref.metrics.JournalReads), "the default cache holds every entry")
	plan := DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit]
	eff := Effective(want)
	require.Equal(t, plan.Fee(3000), eff[0].Fee, "the completed sale")
	require.Equal(t, refundFee(300), eff[1].Fee, "the partly reversed refund")

	for _, capacity := range []int{1, 2} {
		t.Run(fmt.Sprintf("with a cache of %d, reprices and ignores duplicates as with everything in memory", capacity), func(t *testing.T) {
			j, acq := mustJournalWith(t, filepath.Join(t.TempDir(), "journal.db"), capacity, nil)
			require.Equal(t, want, amendEvicted(t, j, acq, true))
			require.LessOrEqual(t, cacheLen(j), 2*capacity)
			require.Positive(t, counterValue(t, j.metrics.JournalReads), "originals were read back from disk")
		})
	}
}

func TestJournalHashCollisions(t *testing.T) {
	ctx := context.Background()
	collide := func(bandeira.Key) uint64 { return 42 }
	path := filepath.Join(t.TempDir(), "journal.db")
	j, acq := mustJournalWith(t, path, 1, collide)
	a, b, c := request("0200", "000000", "000001", 10000), request("0200", "000000", "000002", 4000), request("0200", "000000", "000003", 2000)
	for _, s := range []bandeira.Authorization{a, b, c} {
		recordSale(t, j, acq, s, approvedCredit)
	}
	recordSale(t, j, acq, b, approvedCredit) // a duplicate: nothing
	fillers(t, j, acq, 0, 5)
	require.NoError(t, j.Record(ctx, reversalOf(b, "000011", nil), acked(0), bandeira.Fee{}))
	require.NoError(t, j.Record(ctx, reversalOf(a, "000012", amount(7000)), acked(7000), bandeira.Fee{}))
	plan := DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit]

	t.Run("keeps keys with the same hash apart: each is journaled and each reversal finds its own", func(t *testing.T) {
		es := entries(t, j)
		require.Len(t, es, 3+5+2)
		require.Equal(t, []bandeira.Key{a.Key(), b.Key(), c.Key()}, []bandeira.Key{es[0].Key, es[1].Key, es[2].Key})
		require.Equal(t, int64(2), es[8].OriginalID)
		require.Equal(t, int64(1), es[9].OriginalID)
		eff := Effective(es)
		require.Equal(t, plan.Fee(7000), eff[0].Fee)
		require.Equal(t, plan.Fee(2000), eff[1].Fee)
	})
	t.Run("keeps them apart after a reopen", func(t *testing.T) {
		require.NoError(t, j.Close())
		j2, acq2 := mustJournalWith(t, path, 1, collide)
		recordSale(t, j2, acq2, c, approvedCredit) // a duplicate: nothing
		require.NoError(t, j2.Record(ctx, reversalOf(c, "000013", amount(500)), acked(500), bandeira.Fee{}))
		require.NoError(t, j2.Record(ctx, reversalOf(a, "000014", amount(1000)), acked(1000), bandeira.Fee{}))
		require.NoError(t, j2.Record(ctx, reversalOf(b, "000015", nil), acked(0), bandeira.Fee{}), "already reversed")
		es := entries(t, j2)
		require.Len(t, es, 12)
		require.Equal(t, []int64{3, 1}, []int64{es[10].OriginalID, es[11].OriginalID})
		eff := Effective(es)
		require.Equal(t, []bandeira.Fee{plan.Fee(1000), plan.Fee(500)}, []bandeira.Fee{eff[0].Fee, eff[1].Fee})
	})
}

func TestJournalReopenAfterEvictions(t *testing.T) {
	ctx := context.Background()
	sale := request("0100", "000000", "000001", 10000)
	run := func(t *testing.T, path string, capacity int, reopen bool) []Entry {
		j, acq := mustJournalWith(t, path, capacity, nil)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000002", amount(8000)), acked(8000), bandeira.Fee{}))
		fillers(t, j, acq, 0, 10)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000003", amount(6000)), acked(6000), bandeira.Fee{}))
		fillers(t, j, acq, 10, 10)
		if reopen {
			require.NoError(t, j.Close())
			j, acq = mustJournalWith(t, path, capacity, nil)
		}
		recordSale(t, j, acq, sale, approvedCredit) // a duplicate: nothing
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000004", amount(6000)), acked(6000), bandeira.Fee{}), "changes nothing")
		require.NoError(t, j.Record(ctx, completionOf(sale, "000005", 4500), acked(4500), bandeira.Fee{}))
		fillers(t, j, acq, 20, 3)
		return entries(t, j)
	}
	want := run(t, filepath.Join(t.TempDir(), "journal.db"), 0, false)
	require.Len(t, want, 1+2+20+1+3)
	require.Equal(t, DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit].Fee(4500), Effective(want)[0].Fee)
	t.Run("a reopened journal with a cache of 1 reprices from the amendments on disk", func(t *testing.T) {
		require.Equal(t, want, run(t, filepath.Join(t.TempDir(), "journal.db"), 1, true))
	})
}

func TestJournalDiskLookupFails(t *testing.T) {
	ctx := context.Background()
	j, acq := mustJournalWith(t, filepath.Join(t.TempDir(), "journal.db"), 1, nil)
	sale := request("0100", "000000", "000001", 10000)
	recordSale(t, j, acq, sale, approvedCredit)
	fillers(t, j, acq, 0, 5)
	require.False(t, cached(j, 1))
	before := entries(t, j)
	require.NoError(t, j.db.R.Close())

	t.Run("a reversal of an evicted sale fails and writes nothing", func(t *testing.T) {
		err := j.Record(ctx, reversalOf(sale, "000002", nil), acked(0), bandeira.Fee{})
		require.ErrorContains(t, err, "journaling a reversal: reading entry 1")
		require.ErrorContains(t, err, "database is closed")
		require.Equal(t, before, entries(t, j))
	})
	t.Run("a duplicate of an evicted sale fails and writes nothing", func(t *testing.T) {
		f, err := acq.Price(bandeira.Sale{MerchantID: sale.MerchantID, Brand: bandeira.Visa, Product: bandeira.Credit, Amount: sale.Amount})
		require.NoError(t, err)
		require.Error(t, j.Record(ctx, sale, approvedCredit, f))
		require.Equal(t, before, entries(t, j))
	})
	t.Run("a new sale needs no disk read and is still journaled, with the next id", func(t *testing.T) {
		fillers(t, j, acq, 5, 1)
		es := entries(t, j)
		require.Len(t, es, len(before)+1)
		require.Equal(t, int64(len(before)+1), es[len(es)-1].ID)
	})
}

// counterValue reads a counter that no registry gathers.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}
