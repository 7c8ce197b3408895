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

// journalClock is 2026-11-24 12:00 in Brasília, the day of docs/economics.md's worked example.
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

// acked is the issuer's approval of a reversal or completion that leaves remaining of its
// original in effect (field 95 of the answer).
func acked(remaining bandeira.Amount) bandeira.Result { return ackedBy(approvedCredit, remaining) }

// ackedBy is res carrying remaining as the amount still in effect.
func ackedBy(res bandeira.Result, remaining bandeira.Amount) bandeira.Result {
	res.Remaining = &remaining
	return res
}

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
	t.Run("a reversal the issuer matched to nothing (no field 95 in its answer) records nothing", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0200", "000000", "000020", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000021", nil), approvedCredit, bandeira.Fee{}))
		require.Len(t, entries(t, j), 1)
	})
	t.Run("a reversal by field 90 cancels its original, and a second one records nothing", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0100", "000000", "000008", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000009", nil), acked(0), bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000010", nil), acked(0), bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, reversalOf(request("0100", "000000", "999999", 1), "000011", nil), acked(0), bandeira.Fee{}))
		es := entries(t, j)
		require.Len(t, es, 2)
		require.Equal(t, EntryReversal, es[1].Kind)
		require.Equal(t, int64(1), es[1].OriginalID)
		require.Equal(t, sale.Key(), es[1].OriginalKey)
		require.Equal(t, bandeira.Fee{Gross: -10000, MDR: -399, Interchange: -165, BrandFee: -10, AcquirerMargin: -224, Net: -9601}, es[1].Fee)
		require.Empty(t, Effective(es))
	})
	t.Run("a partial reversal reprices the original at the amount the issuer left in effect", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0200", "000000", "000012", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		keep := bandeira.Amount(6000)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000013", &keep), acked(keep), bandeira.Fee{}))
		eff := Effective(entries(t, j))
		require.Len(t, eff, 1)
		require.Equal(t, DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit].Fee(6000), eff[0].Fee)
	})
}

func TestJournalCompletions(t *testing.T) {
	ctx := context.Background()
	plan := DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit]
	t.Run("an uncaptured 0100 hold is journaled but neither presented nor paid", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		recordSale(t, j, acq, request("0100", "000000", "000001", 10000), approvedCredit)
		es := entries(t, j)
		require.Len(t, es, 1)
		require.Empty(t, Effective(es))
		require.Len(t, OpenHolds(es), 1)
		require.Empty(t, Clear(es, NewDate(2026, time.November, 24)))
	})
	t.Run("a 0220 that captures a hold in full records a completion that changes no fee, and presents it", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0100", "000000", "000001", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, completionOf(sale, "000002", 10000), acked(10000), bandeira.Fee{}))
		es := entries(t, j)
		require.Len(t, es, 2)
		require.Equal(t, EntryCompletion, es[1].Kind)
		require.Equal(t, bandeira.Fee{}, es[1].Fee)
		eff := Effective(es)
		require.Len(t, eff, 1)
		require.Equal(t, plan.Fee(10000), eff[0].Fee)
		require.Empty(t, OpenHolds(es))
	})
	t.Run("one that captures less reprices the hold at what the issuer captured; a second one records nothing", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0100", "000000", "000001", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, completionOf(sale, "000002", 2500), acked(2500), bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, completionOf(sale, "000003", 1000), acked(1000), bandeira.Fee{}))
		es := entries(t, j)
		require.Len(t, es, 2)
		require.Equal(t, plan.Fee(2500), Effective(es)[0].Fee)
	})
	t.Run("a hold captured another day is presented and paid from the day of its capture", func(t *testing.T) {
		now := journalClock
		acq, _ := mustAcquirer(t, DefaultConfig())
		j, err := OpenJournal(ctx, filepath.Join(t.TempDir(), "journal.db"), acq, JournalOptions{
			Log: zerolog.New(zerolog.NewTestWriter(t)), Now: func() time.Time { return now }})
		require.NoError(t, err)
		t.Cleanup(func() { _ = j.Close() })
		sale := request("0100", "000000", "000001", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		now = now.Add(48 * time.Hour)
		require.NoError(t, j.Record(ctx, completionOf(sale, "000002", 10000), acked(10000), bandeira.Fee{}))
		es := entries(t, j)
		require.Empty(t, Clear(es, NewDate(2026, time.November, 24)))
		require.Len(t, Clear(es, NewDate(2026, time.November, 26)), 1)
		require.Equal(t, NewDate(2026, time.November, 26), Effective(es)[0].SaleDate)
	})
	t.Run("a completion of a 0200 sale, or of a refund, records nothing", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0200", "000000", "000001", 10000)
		refund := request("0200", "200000", "000002", 500)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, refund, approvedCredit, bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, completionOf(sale, "000003", 100), acked(100), bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, completionOf(refund, "000004", 100), acked(100), bandeira.Fee{}))
		require.Len(t, entries(t, j), 2)
	})
	t.Run("a 0220 without field 90 records nothing", func(t *testing.T) {
		j, _ := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		require.NoError(t, j.Record(ctx, request("0220", "000000", "000004", 100), acked(100), bandeira.Fee{}))
		require.Empty(t, entries(t, j))
	})
}

func TestJournalMovesAsTheIssuerMoved(t *testing.T) {
	ctx := context.Background()
	plan := DefaultPlans()[PlanWhatsApp2020][bandeira.Visa][TierCredit]
	t.Run("partial reversals chain: 100 → 40 → 10 → full, and a late repeat of the 40 changes nothing", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0200", "000000", "000001", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		var gross []bandeira.Amount
		for i, rest := range []bandeira.Amount{4000, 1000, 0, 4000} {
			r := reversalOf(sale, fmt.Sprintf("00001%d", i), amount(rest))
			if rest == 0 {
				r.Replacement = nil
			}
			require.NoError(t, j.Record(ctx, r, acked(rest), bandeira.Fee{}))
			var sum bandeira.Amount
			for _, e := range entries(t, j) {
				sum += e.Fee.Gross
			}
			gross = append(gross, sum)
		}
		require.Equal(t, []bandeira.Amount{4000, 1000, 0, 0}, gross)
		require.Len(t, entries(t, j), 4)
	})
	t.Run("a reversal of a captured hold gives back what was captured", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		hold := request("0100", "000000", "000001", 10000)
		recordSale(t, j, acq, hold, approvedCredit)
		require.NoError(t, j.Record(ctx, completionOf(hold, "000002", 6000), acked(6000), bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, reversalOf(hold, "000003", nil), acked(0), bandeira.Fee{}))
		es := entries(t, j)
		require.Len(t, es, 3)
		require.Equal(t, bandeira.Amount(-6000), es[2].Fee.Gross)
		require.Empty(t, Effective(es))
	})
	t.Run("a full reversal of a 0200 after a partial one reverses the rest", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0200", "000000", "000001", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000002", amount(7000)), acked(7000), bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000003", nil), acked(0), bandeira.Fee{}))
		es := entries(t, j)
		require.Equal(t, []bandeira.Amount{10000, -3000, -7000}, []bandeira.Amount{es[0].Fee.Gross, es[1].Fee.Gross, es[2].Fee.Gross})
		require.Empty(t, Effective(es))
	})
	t.Run("the issuer's answer counts, not the request's field 95", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		sale := request("0200", "000000", "000001", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		require.NoError(t, j.Record(ctx, reversalOf(sale, "000002", amount(2000)), acked(9000), bandeira.Fee{}))
		require.Equal(t, plan.Fee(9000), Effective(entries(t, j))[0].Fee)
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
		require.NoError(t, j2.Record(ctx, reversalOf(sale, "000004", nil), acked(0), bandeira.Fee{}))
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
