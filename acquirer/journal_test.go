package acquirer

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// journalClock is 2026-11-24 12:00 in Brasília, the day of domain.md's worked example.
var journalClock = time.Date(2026, time.November, 24, 15, 0, 0, 0, time.UTC)

func mustJournal(tb testing.TB, path string) (*Journal, *Acquirer) {
	tb.Helper()
	acq, _ := mustAcquirer(tb, DefaultConfig())
	j, err := OpenJournal(context.Background(), path, acq, JournalOptions{
		Log: zerolog.New(zerolog.NewTestWriter(tb)), Now: func() time.Time { return journalClock }})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = j.Close() })
	return j, acq
}

// request builds an approved request of the demo terminal for a Visa credit card.
func request(mti, proc, stan string, amount bandeira.Amount) bandeira.Authorization {
	return bandeira.Authorization{MTI: bandeira.MTI(mti), PAN: "4000010100000017", ProcessingCode: proc,
		Amount: amount, AmountPresent: true, TransmissionTime: "1124150000", STAN: stan, AcquirerID: "1020",
		TerminalID: "WAPP0001", MerchantID: DefaultMerchant().ID, RRN: "000000" + stan}
}

func reversalOf(orig bandeira.Authorization, stan string, replacement *bandeira.Amount) bandeira.Authorization {
	r := request("0400", orig.ProcessingCode, stan, orig.Amount)
	r.Original = &bandeira.OriginalData{MTI: orig.MTI, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime, AcquirerID: "00000001020"}
	r.Replacement = replacement
	return r
}

var approvedCredit = bandeira.Result{Code: bandeira.Approved, AuthCode: "A00001", Issuer: "bancodobrasil",
	Brand: bandeira.Visa, Product: bandeira.Credit}

// recordSale prices a and journals it, as the gateway does.
func recordSale(tb testing.TB, j *Journal, acq *Acquirer, a bandeira.Authorization, res bandeira.Result) {
	tb.Helper()
	fee, err := acq.Price(bandeira.Sale{MerchantID: a.MerchantID, Brand: res.Brand, Product: res.Product, Amount: a.Amount, Installments: a.Installments})
	require.NoError(tb, err)
	require.NoError(tb, j.Record(context.Background(), a, res, fee))
}

func entries(tb testing.TB, j *Journal) []Entry {
	tb.Helper()
	es, err := j.Entries(context.Background())
	require.NoError(tb, err)
	return es
}

func TestJournalRecords(t *testing.T) {
	ctx := context.Background()
	t.Run("records the worked example with its key, brand, issuer, day and fee split", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		recordSale(t, j, acq, request("0100", "000000", "000001", 10000), approvedCredit)
		es := entries(t, j)
		require.Len(t, es, 1)
		e := es[0]
		require.Equal(t, int64(1), e.ID)
		require.Equal(t, EntrySale, e.Kind)
		require.Equal(t, NewDate(2026, time.November, 24), e.SaleDate)
		require.Equal(t, bandeira.Key{AcquirerID: "1020", TerminalID: "WAPP0001", STAN: "000001", TransmissionTime: "1124150000"}, e.Key)
		require.Equal(t, fee(10000, 399, 165, 10, 224), e.Fee)
		require.Equal(t, "bancodobrasil", e.Issuer)
		require.Equal(t, BandAVista, e.Band)
		require.Equal(t, "A00001", e.AuthCode)
	})
	t.Run("records nothing for declines, inquiries, advices or a key already journaled", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0200", "000000", "000002", 5000)
		recordSale(t, j, acq, sale, approvedCredit)
		recordSale(t, j, acq, sale, approvedCredit) // a retransmit the issuer approved again
		require.NoError(t, j.Record(ctx, request("0100", "000000", "000003", 100), bandeira.Result{Code: bandeira.InsufficientFunds}, bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, request("0100", "310000", "000004", 0), approvedCredit, bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, request("0220", "000000", "000005", 100), approvedCredit, bandeira.Fee{}))
		require.Len(t, entries(t, j), 1)
	})
	t.Run("refuses a sale whose fee is for another amount", func(t *testing.T) {
		j, _ := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		err := j.Record(ctx, request("0100", "000000", "000006", 10000), approvedCredit, fee(9999, 399, 165, 10, 224))
		require.ErrorIs(t, err, ErrFeeMismatch)
		require.Empty(t, entries(t, j))
	})
	t.Run("records a refund as a negative gross with no fee", func(t *testing.T) {
		j, _ := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		require.NoError(t, j.Record(ctx, request("0200", "200000", "000007", 800), approvedCredit, bandeira.Fee{}))
		es := entries(t, j)
		require.Len(t, es, 1)
		require.Equal(t, EntryRefund, es[0].Kind)
		require.Equal(t, bandeira.Fee{Gross: -800, Net: -800}, es[0].Fee)
	})
	t.Run("a reversal by field 90 cancels its original, and a second one records nothing", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0100", "000000", "000008", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000009", nil), approvedCredit, bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000010", nil), approvedCredit, bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, reversalOf(request("0100", "000000", "999999", 1), "000011", nil), approvedCredit, bandeira.Fee{}))
		es := entries(t, j)
		require.Len(t, es, 2)
		require.Equal(t, EntryReversal, es[1].Kind)
		require.Equal(t, int64(1), es[1].OriginalID)
		require.Equal(t, sale.Key(), es[1].OriginalKey)
		require.Equal(t, bandeira.Fee{Gross: -10000, MDR: -399, Interchange: -165, BrandFee: -10, AcquirerMargin: -224, Net: -9601}, es[1].Fee)
		require.Empty(t, Effective(es))
	})
	t.Run("a partial reversal (field 95) reprices the original at the replacement amount", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0100", "000000", "000012", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		keep := bandeira.Amount(6000)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000013", &keep), approvedCredit, bandeira.Fee{}))
		eff := Effective(entries(t, j))
		require.Len(t, eff, 1)
		require.Equal(t, DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit].Fee(6000), eff[0].Fee)
	})
}

func TestJournalCompletions(t *testing.T) {
	ctx := context.Background()
	t.Run("a 0220 completion that captures less reprices the sale; capturing it all records nothing", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0100", "000000", "000001", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		full := reversalOf(sale, "000002", nil)
		full.MTI, full.Amount = "0220", 10000
		require.NoError(t, j.Record(ctx, full, approvedCredit, bandeira.Fee{}))
		require.Len(t, entries(t, j), 1)
		less := reversalOf(sale, "000003", nil)
		less.MTI, less.Amount = "0220", 2500
		require.NoError(t, j.Record(ctx, less, approvedCredit, bandeira.Fee{}))
		es := entries(t, j)
		require.Len(t, es, 2)
		require.Equal(t, EntryCompletion, es[1].Kind)
		eff := Effective(es)
		require.Len(t, eff, 1)
		require.Equal(t, DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit].Fee(2500), eff[0].Fee)
	})
	t.Run("a 0220 without field 90 records nothing", func(t *testing.T) {
		j, _ := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		require.NoError(t, j.Record(ctx, request("0220", "000000", "000004", 100), approvedCredit, bandeira.Fee{}))
		require.Empty(t, entries(t, j))
	})
}

func TestJournalSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "acquirer", "journal.db")
	j, acq := mustJournal(t, path)
	sale := request("0100", "000000", "000001", 10000)
	recordSale(t, j, acq, sale, approvedCredit)
	require.NoError(t, j.Record(ctx, request("0200", "200000", "000002", 500), approvedCredit, bandeira.Fee{}))
	before := entries(t, j)
	require.NoError(t, j.Close())
	require.NoError(t, j.Close(), "Close is idempotent")
	require.ErrorIs(t, j.Record(ctx, request("0100", "000000", "000003", 1), approvedCredit, bandeira.Fee{}), ErrJournalClosed)

	t.Run("reads back every committed entry, also without a running journal", func(t *testing.T) {
		got, err := ReadJournal(ctx, path)
		require.NoError(t, err)
		require.Equal(t, before, got)
	})
	t.Run("continues the ids and still matches reversals and duplicates of entries before the reopen", func(t *testing.T) {
		j2, acq2 := mustJournal(t, path)
		recordSale(t, j2, acq2, sale, approvedCredit) // a retransmit: no new entry
		require.NoError(t, j2.Record(ctx, reversalOf(sale, "000004", nil), approvedCredit, bandeira.Fee{}))
		recordSale(t, j2, acq2, request("0100", "000000", "000005", 2000), approvedCredit)
		es := entries(t, j2)
		require.Len(t, es, 4)
		require.Equal(t, []int64{1, 2, 3, 4}, []int64{es[0].ID, es[1].ID, es[2].ID, es[3].ID})
		require.Equal(t, EntryReversal, es[2].Kind)
		require.Equal(t, int64(1), es[2].OriginalID)
	})
	t.Run("fails clearly when there is no journal", func(t *testing.T) {
		_, err := ReadJournal(ctx, filepath.Join(t.TempDir(), "none.db"))
		require.Error(t, err)
	})
}

func TestJournalFailsClosed(t *testing.T) {
	t.Run("a failed commit fails the call and every later one until reopened", func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "journal.db")
		j, acq := mustJournal(t, path)
		recordSale(t, j, acq, request("0100", "000000", "000001", 1000), approvedCredit)
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
		require.NoError(t, err)
		_, err = db.Exec("ALTER TABLE entries RENAME TO gone")
		require.NoError(t, err)
		require.NoError(t, db.Close())
		f, err := acq.Price(bandeira.Sale{MerchantID: DefaultMerchant().ID, Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 1000})
		require.NoError(t, err)
		require.ErrorIs(t, j.Record(ctx, request("0100", "000000", "000002", 1000), approvedCredit, f), ErrJournalFailed)
		require.ErrorIs(t, j.Record(ctx, request("0100", "000000", "000003", 1000), approvedCredit, f), ErrJournalFailed)
		require.NoError(t, j.Record(ctx, request("0100", "310000", "000004", 0), approvedCredit, bandeira.Fee{}),
			"what the journal does not record still passes")
	})
}

func TestJournalConcurrentRecords(t *testing.T) {
	t.Run("commits every sale from many goroutines once, with unique sequential ids", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 25 {
					a := request("0200", "000000", fmt.Sprintf("%03d%03d", g, i), 1000)
					recordSale(t, j, acq, a, approvedCredit)
				}
			})
		}
		wg.Wait()
		es := entries(t, j)
		require.Len(t, es, 200)
		for i, e := range es {
			require.Equal(t, int64(i+1), e.ID)
		}
	})
}

func BenchmarkJournalRecord(b *testing.B) {
	j, acq := mustJournal(b, filepath.Join(b.TempDir(), "journal.db"))
	f, err := acq.Price(bandeira.Sale{MerchantID: DefaultMerchant().ID, Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 1000})
	require.NoError(b, err)
	b.ReportAllocs()
	var n int64
	var mu sync.Mutex
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			stan := fmt.Sprintf("%012d", n)
			mu.Unlock()
			if err := j.Record(context.Background(), request("0200", "000000", stan, 1000), approvedCredit, f); err != nil {
				b.Fatal(err)
			}
		}
	})
}
