package acquirer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// mixedJournal records, on 2026-11-24: the worked example (visa credit R$100.00 at the
// WhatsApp shop), a lojista 3x visa credit sale, a mastercard debit sale at the padaria
// (nubank), a visa refund of R$5.00, and a mastercard debit sale reversed in full.
func mixedJournal(t *testing.T) []Entry {
	t.Helper()
	ctx := context.Background()
	j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
	recordSale(t, j, acq, request("0200", "000000", "000001", 10000), approvedCredit)
	lojista := request("0200", "000000", "000002", 30000)
	lojista.Installments = &bandeira.Installments{Plan: bandeira.PlanLojista, Count: 3}
	recordSale(t, j, acq, lojista, approvedCredit)
	nubankDebit := bandeira.Result{Code: bandeira.Approved, Issuer: "nubank", Brand: bandeira.Mastercard, Product: bandeira.Debit}
	padaria := request("0200", "000000", "000003", 5000)
	padaria.MerchantID, padaria.TerminalID = "PADARIA00000001", "PADA0001"
	recordSale(t, j, acq, padaria, nubankDebit)
	require.NoError(t, j.Record(ctx, request("0200", "200000", "000004", 500), approvedCredit, bandeira.Fee{}))
	reversed := request("0200", "000000", "000005", 7000)
	recordSale(t, j, acq, reversed, nubankDebit)
	require.NoError(t, j.Record(ctx, reversalOf(reversed, "000006", nil), ackedBy(nubankDebit, 0), bandeira.Fee{}))
	return entries(t, j)
}

func TestSettle(t *testing.T) {
	es := mixedJournal(t)
	cal := NewCalendar(DefaultHolidays())
	t.Run("pays each sale on its calendar and deducts refunds at D+1, net of reversals", func(t *testing.T) {
		payouts, err := Settle(es, cal, SettlementFilter{})
		require.NoError(t, err)
		type row struct {
			date, merchant           string
			gross, refunds, mdr, net bandeira.Amount
			items                    int
		}
		var got []row
		for _, p := range payouts {
			got = append(got, row{p.Date.String(), p.MerchantID, p.Gross, p.Refunds, p.MDR, p.Net, len(p.Items)})
		}
		// Sold Tue 2026-11-24: D+1 is Wed 11-25; D+30 is Thu 12-24; D+60 Sat 01-23 rolls
		// to Mon 01-25; D+90 Mon 2027-02-22.
		require.Equal(t, []row{
			{"2026-11-25", "PADARIA00000001", 5000, 0, 100, 4900, 1},   // debit 1.99%
			{"2026-11-25", "WACATALOGO00001", 0, 500, 0, -500, 1},      // the refund
			{"2026-12-24", "WACATALOGO00001", 20000, 0, 798, 19202, 2}, // à vista + lojista leg 1
			{"2027-01-25", "WACATALOGO00001", 10000, 0, 399, 9601, 1},  // lojista leg 2
			{"2027-02-22", "WACATALOGO00001", 10000, 0, 399, 9601, 1},  // lojista leg 3
		}, got)
	})
	t.Run("pays every merchant gross − refunds − MDR, exactly", func(t *testing.T) {
		payouts, err := Settle(es, cal, SettlementFilter{})
		require.NoError(t, err)
		var gross, refunds, mdr bandeira.Amount
		for _, e := range Effective(es) {
			if e.Kind == EntryRefund {
				refunds -= e.Fee.Gross
			} else {
				gross, mdr = gross+e.Fee.Gross, mdr+e.Fee.MDR
			}
		}
		var paid bandeira.Amount
		for _, p := range payouts {
			require.Equal(t, p.Gross-p.Refunds-p.MDR, p.Net)
			paid += p.Net
		}
		require.Equal(t, gross-refunds-mdr, paid)
	})
	t.Run("filters by merchant and by payout dates, inclusive", func(t *testing.T) {
		payouts, err := Settle(es, cal, SettlementFilter{MerchantID: "WACATALOGO00001",
			From: NewDate(2026, time.December, 24), To: NewDate(2027, time.January, 25)})
		require.NoError(t, err)
		require.Len(t, payouts, 2)
		require.Equal(t, "2026-12-24", payouts[0].Date.String())
		require.Equal(t, "2027-01-25", payouts[1].Date.String())
	})
}

func TestClear(t *testing.T) {
	t.Run("presents the worked example: issuer pays 98.35, acquirer receives 98.25, brand 0.10", func(t *testing.T) {
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		recordSale(t, j, acq, request("0200", "000000", "000001", 10000), approvedCredit)
		got := Clear(entries(t, j), NewDate(2026, time.November, 24))
		require.Len(t, got, 1)
		require.Equal(t, []Position{
			{Record: "position", Kind: MemberAcquirer, Member: "1020", Net: 9825},
			{Record: "position", Kind: MemberIssuer, Member: "bancodobrasil", Net: -9835},
			{Record: "position", Kind: MemberBrand, Member: "visa", Net: 10},
		}, got[0].Positions)
		require.Equal(t, TCSale, got[0].Presentments[0].TC)
	})
	es := mixedJournal(t)
	day := NewDate(2026, time.November, 24)
	t.Run("nets every brand's positions to zero and leaves reversed sales out", func(t *testing.T) {
		got := Clear(es, day)
		require.Len(t, got, 2)
		require.Equal(t, bandeira.Mastercard, got[0].Brand)
		require.Len(t, got[0].Presentments, 1, "the reversed debit sale is not presented")
		require.Len(t, got[1].Presentments, 3)
		for _, bc := range got {
			var sum bandeira.Amount
			for _, p := range bc.Positions {
				sum += p.Net
			}
			require.Zero(t, sum, bc.Brand)
		}
		require.Equal(t, bandeira.Amount(40000), got[1].Sales)
		require.Equal(t, bandeira.Amount(500), got[1].Refunds)
		require.Equal(t, TCRefund, got[1].Presentments[2].TC)
	})
	t.Run("clears nothing on another day", func(t *testing.T) {
		require.Empty(t, Clear(es, day.AddDays(1)))
	})
	t.Run("writes a JSON-lines file: header, presentments, positions and a trailer summing to zero", func(t *testing.T) {
		bc := Clear(es, day)[1]
		var buf bytes.Buffer
		require.NoError(t, bc.WriteJSONL(&buf))
		var kinds []string
		var last map[string]any
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			var rec map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
			kinds = append(kinds, rec["record"].(string))
			last = rec
		}
		require.Equal(t, []string{"header", "presentment", "presentment", "presentment", "position", "position", "position", "trailer"}, kinds)
		require.Equal(t, 0.0, last["positions_sum"])
		require.Equal(t, 3.0, last["presentments"])
		require.NotContains(t, buf.String(), "4000010100000017", "no PAN in a clearing file")
	})
}

func TestEconomicsWorkedExample(t *testing.T) {
	t.Run("matches docs/economics.md: sale, refund and a reversed debit sale on 2026-11-24", func(t *testing.T) {
		ctx := context.Background()
		j, acq := mustJournal(t, filepath.Join(t.TempDir(), "journal.db"))
		recordSale(t, j, acq, request("0200", "000000", "000001", 10000), approvedCredit)
		require.NoError(t, j.Record(ctx, request("0200", "200000", "000002", 500), approvedCredit, bandeira.Fee{}))
		debit := approvedCredit
		debit.Product = bandeira.Debit
		reversed := request("0200", "000000", "000003", 1234)
		recordSale(t, j, acq, reversed, debit)
		require.NoError(t, j.Record(ctx, reversalOf(reversed, "000004", nil), ackedBy(debit, 0), bandeira.Fee{}))
		es := entries(t, j)

		got := Clear(es, NewDate(2026, time.November, 24))
		require.Len(t, got, 1)
		require.Len(t, got[0].Presentments, 2)
		require.Equal(t, []bandeira.Amount{9325, -9335, 10}, []bandeira.Amount{got[0].Positions[0].Net, got[0].Positions[1].Net, got[0].Positions[2].Net})

		payouts, err := Settle(es, NewCalendar(DefaultHolidays()), SettlementFilter{})
		require.NoError(t, err)
		require.Len(t, payouts, 2)
		require.Equal(t, "2026-11-25", payouts[0].Date.String())
		require.Equal(t, bandeira.Amount(-500), payouts[0].Net)
		require.Equal(t, "2026-12-24", payouts[1].Date.String())
		require.Equal(t, bandeira.Amount(9601), payouts[1].Net)
	})
}
