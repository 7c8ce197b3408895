package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
	"github.com/bandeira/bandeira/network"
)

// rkey is the key of request n of the reconcile tests, as the wire carries it (padded).
func rkey(n int) bandeira.Key {
	return bandeira.Key{AcquirerID: "00012345678", TerminalID: "TERM0001", STAN: "00000" + string(rune('0'+n)),
		TransmissionTime: "1206101010"}
}

// journalSale is a journal sale (0200, or an 0100 hold) of amount under key n.
func journalSale(id int64, n int, mti bandeira.MTI, amount bandeira.Amount) acquirer.Entry {
	return acquirer.Entry{ID: id, Kind: acquirer.EntrySale, Key: rkey(n), MTI: mti, TxType: bandeira.TxPurchase,
		Issuer: "nubank", Brand: bandeira.Mastercard, Product: bandeira.Credit, MerchantID: "M1",
		SaleDate: acquirer.Date{Year: 2026, Month: time.December, Day: 4},
		Fee: bandeira.Fee{Gross: amount, MDR: amount / 100, Interchange: amount / 200, BrandFee: amount / 1000,
			AcquirerMargin: amount/100 - amount/200 - amount/1000, Net: amount - amount/100}}
}

// amendment is a reversal (or completion, expiry) of journal entry orig changing its gross
// by delta.
func amendment(id int64, kind acquirer.EntryKind, orig acquirer.Entry, delta bandeira.Amount) acquirer.Entry {
	e := orig
	e.ID, e.Kind, e.OriginalID, e.OriginalKey = id, kind, orig.ID, orig.Key.Normal()
	e.Fee = bandeira.Fee{Gross: delta, Net: delta}
	return e
}

// issuerRequest is an approved request under key n at an issuer, amount in effect now.
func issuerRequest(n int, kind ledger.Kind, typ int, state ledger.State, amount, inEffect bandeira.Amount) books.Request {
	return books.Request{Key: rkey(n).Normal(), Kind: kind, Type: typ, Amount: amount, Status: ledger.StatusApplied,
		State: state, InEffect: inEffect, AuthCode: "A1B2C3"}
}

func TestReconcile(t *testing.T) {
	sale := journalSale(1, 1, "0200", 10_000)
	hold := journalSale(2, 2, "0100", 5_000)
	agreed := partiesData{
		requests: map[string][]books.Request{"nubank": {
			issuerRequest(1, ledger.Debit, 2_000_000, ledger.StateOpen, 10_000, 6_000),
			issuerRequest(2, ledger.Hold, 1_000_000, ledger.StateCaptured, 5_000, 4_000),
			{Key: rkey(3).Normal(), Kind: ledger.Hold, Type: 1_000_000, Amount: 900, Status: ledger.StatusDeclined,
				Code: "51", State: ledger.StateDeclined},
			issuerRequest(4, ledger.Inquiry, 1_310_000, ledger.StateAnswered, 0, 0),
			issuerRequest(5, ledger.Debit, 2_100_000, ledger.StateOpen, 7_000, 7_000), // a transfer's pull
		}},
		journal: []acquirer.Entry{sale, hold, amendment(3, acquirer.EntryReversal, sale, -4_000),
			amendment(4, acquirer.EntryCompletion, hold, -1_000)},
		calendar: acquirer.NewCalendar(nil),
	}
	t.Run("passes when every key agrees, leaving declines, inquiries and transfer legs out", func(t *testing.T) {
		divs, totals := reconcile(agreed)
		require.Empty(t, divs)
		require.Equal(t, netTotals{Keys: 2, Presented: 10_000}, totals)
	})

	cases := []struct {
		name   string
		change func(p *partiesData)
		want   []divergence
	}{
		{"an approval the acquirer never booked is issuer_only", func(p *partiesData) {
			p.requests["nubank"] = append(p.requests["nubank"], issuerRequest(6, ledger.Hold, 1_000_000, ledger.StateOpen, 1_900, 1_900))
		}, []divergence{{Kind: divIssuerOnly, Key: "12345678/TERM0001/6/1206101010", Issuer: "nubank", AtIssuer: 1_900,
			Detail: "the issuer has R$ 19.00 in effect; the acquirer booked nothing"}}},
		{"a booked sale no issuer holds is acquirer_only, and its presentment a clearing divergence", func(p *partiesData) {
			p.journal = append(p.journal, journalSale(5, 7, "0200", 2_500))
		}, []divergence{
			{Kind: divAcquirerOnly, Key: "12345678/TERM0001/7/1206101010", Issuer: "nubank", Brand: bandeira.Mastercard,
				Acquirer: 2_500, Detail: "the acquirer booked R$ 25.00; no issuer has it in effect"},
			{Kind: divClearing, Issuer: "nubank", AtIssuer: 10_000, Acquirer: 12_500,
				Detail: "presented R$ 125.00 net of refunds; the issuer's books settled R$ 100.00"},
		}},
		{"a partial reversal the journal missed is an amount divergence", func(p *partiesData) {
			p.journal = p.journal[:2:2]
			p.journal = append(p.journal, amendment(4, acquirer.EntryCompletion, hold, -1_000))
		}, []divergence{
			{Kind: divAmount, Key: "12345678/TERM0001/1/1206101010", Issuer: "nubank", Brand: bandeira.Mastercard,
				AtIssuer: 6_000, Acquirer: 10_000, Detail: "the issuer has R$ 60.00 in effect, the acquirer's journal R$ 100.00"},
			{Kind: divClearing, Issuer: "nubank", AtIssuer: 10_000, Acquirer: 14_000,
				Detail: "presented R$ 140.00 net of refunds; the issuer's books settled R$ 100.00"},
		}},
		{"a hold captured at the issuer only is a state divergence", func(p *partiesData) {
			p.journal = p.journal[:3:3]
			p.journal = append(p.journal, amendment(4, acquirer.EntryReversal, hold, -1_000))
		}, []divergence{
			{Kind: divClearing, Issuer: "nubank", AtIssuer: 10_000, Acquirer: 6_000,
				Detail: "presented R$ 60.00 net of refunds; the issuer's books settled R$ 100.00"},
			{Kind: divState, Key: "12345678/TERM0001/2/1206101010", Issuer: "nubank", Brand: bandeira.Mastercard,
				AtIssuer: 4_000, Acquirer: 4_000, Detail: "the hold is captured at the issuer and not captured in the acquirer's journal"},
		}},
		{"a key approved at two issuers is doubled", func(p *partiesData) {
			p.requests["sicredi"] = []books.Request{issuerRequest(1, ledger.Debit, 2_000_000, ledger.StateReversed, 10_000, 0)}
		}, []divergence{{Kind: divDoubled, Key: "12345678/TERM0001/1/1206101010", Issuer: "nubank", Brand: bandeira.Mastercard,
			AtIssuer: 6_000, Acquirer: 6_000, Detail: "approved at 2 issuers: [nubank sicredi]"}}},
		{"a stand-in approval its issuer never recorded is a stand_in divergence", func(p *partiesData) {
			p.standIns = []network.StandIn{
				{Key: rkey(1).Normal(), Issuer: "nubank", Amount: 10_000, Code: "00", AuthCode: "SABCDE"},
				{Key: rkey(8).Normal(), Issuer: "nubank", Amount: 3_000, Code: "00", AuthCode: "SFGHIJ"},
				{Key: rkey(9).Normal(), Issuer: "nubank", Amount: 30_000, Code: "61"},
			}
		}, []divergence{{Kind: divStandIn, Key: "12345678/TERM0001/8/1206101010", Issuer: "nubank", Acquirer: 3_000,
			Detail: "the network approved R$ 30.00 in stand-in (auth code SFGHIJ); the issuer never recorded it"}}},
		{"a message still queued is a divergence", func(p *partiesData) {
			p.queued = []saf.Pending{{Queue: "network:visa->issuer:nubank", MTI: "0120", Key: "12345678/TERM0001/8/1206101010",
				Enqueued: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}}
		}, []divergence{{Kind: divQueued, Key: "12345678/TERM0001/8/1206101010",
			Detail: "0120 still queued on network:visa->issuer:nubank since 2026-12-06T10:00:00Z"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := agreed
			p.requests = map[string][]books.Request{"nubank": append([]books.Request(nil), agreed.requests["nubank"]...)}
			p.journal = append([]acquirer.Entry(nil), agreed.journal...)
			c.change(&p)
			divs, _ := reconcile(p)
			require.Equal(t, c.want, divs)
		})
	}
}
