package acquirer

import (
	"fmt"
	"sort"

	"github.com/bandeira/bandeira"
)

// RefundPayoutBusinessDays: a refund is deducted from the merchant's payout one business
// day after it was made (D+1), like a debit sale.
const RefundPayoutBusinessDays = 1

// PayoutItem is one sale's or refund's share of a payout.
type PayoutItem struct {
	EntryID  int64            `json:"entry_id"`
	Kind     EntryKind        `json:"kind"` // sale or refund
	SaleDate Date             `json:"sale_date"`
	STAN     string           `json:"stan"`
	RRN      string           `json:"rrn,omitempty"`
	AuthCode string           `json:"auth_code,omitempty"`
	Brand    bandeira.Brand   `json:"brand"`
	Product  bandeira.Product `json:"product"`
	Band     Band             `json:"band"`
	Leg      int              `json:"leg"` // 1-based installment number
	Of       int              `json:"of"`  // how many legs the sale has
	Gross    bandeira.Amount  `json:"gross"`
	MDR      bandeira.Amount  `json:"mdr"`
	Net      bandeira.Amount  `json:"net"` // negative for a refund
}

// Payout is what one merchant is paid on one business day, in centavos:
// Net = Gross − Refunds − MDR, exactly, and the items add up to it.
type Payout struct {
	Date       Date            `json:"date"`
	MerchantID string          `json:"merchant_id"`
	Gross      bandeira.Amount `json:"gross"`   // the sales' legs due that day
	Refunds    bandeira.Amount `json:"refunds"` // refunds deducted that day, positive
	MDR        bandeira.Amount `json:"mdr"`
	Net        bandeira.Amount `json:"net"` // may be negative when refunds exceed sales
	Items      []PayoutItem    `json:"sales"`
}

// SettlementFilter selects payouts: one merchant ("" all) and payout dates from From to
// To inclusive (a zero Date leaves that end open).
type SettlementFilter struct {
	MerchantID string
	From, To   Date
}

func (f SettlementFilter) match(merchant string, d Date) bool {
	return (f.MerchantID == "" || f.MerchantID == merchant) &&
		(f.From.IsZero() || d.Compare(f.From) >= 0) && (f.To.IsZero() || d.Compare(f.To) <= 0)
}

// Settle turns journal entries (every entry, in id order, as Journal.Entries or
// ReadJournal return them) into merchant payouts on cal, sorted by date then merchant.
// What Effective presents is paid: each 0200 sale and each captured 0100 hold (from the
// day of its capture), net of its reversals, is split into legs by Calendar.Legs; a fully
// reversed sale and an uncaptured hold pay nothing; a refund, net of its reversals, is
// deducted RefundPayoutBusinessDays after its day. It fails only on an entry the calendar
// cannot schedule (an unknown product).
func Settle(entries []Entry, cal *Calendar, f SettlementFilter) ([]Payout, error) {
	book := payoutBook{filter: f, slots: make(map[payoutSlot]*Payout)}
	for _, e := range Effective(entries) {
		item := PayoutItem{EntryID: e.ID, Kind: e.Kind, SaleDate: e.SaleDate, STAN: e.Key.STAN, RRN: e.RRN,
			AuthCode: e.AuthCode, Brand: e.Brand, Product: e.Product, Band: e.Band, Leg: 1, Of: 1}
		if e.Kind == EntryRefund {
			item.Gross, item.Net = e.Fee.Gross, e.Fee.Net
			book.put(e.MerchantID, cal.AddBusinessDays(e.SaleDate, RefundPayoutBusinessDays), item)
			continue
		}
		legs, err := cal.Legs(e.sale(e.Fee.Gross), e.Fee, e.SaleDate)
		if err != nil {
			return nil, fmt.Errorf("settling journal entry %d: %w", e.ID, err)
		}
		for _, l := range legs {
			item.Leg, item.Of, item.Gross, item.MDR, item.Net = l.Number, l.Of, l.Gross, l.MDR, l.Net
			book.put(e.MerchantID, l.Date, item)
		}
	}
	return book.sorted(), nil
}

// payoutSlot is one merchant's payout day.
type payoutSlot struct {
	date     Date
	merchant string
}

// payoutBook gathers the legs that pass a filter into payouts.
type payoutBook struct {
	filter SettlementFilter
	slots  map[payoutSlot]*Payout
}

func (b *payoutBook) put(merchant string, d Date, it PayoutItem) {
	if !b.filter.match(merchant, d) {
		return
	}
	p, ok := b.slots[payoutSlot{d, merchant}]
	if !ok {
		p = &Payout{Date: d, MerchantID: merchant}
		b.slots[payoutSlot{d, merchant}] = p
	}
	if it.Kind == EntryRefund {
		p.Refunds -= it.Gross
	} else {
		p.Gross += it.Gross
	}
	p.MDR += it.MDR
	p.Net += it.Net
	p.Items = append(p.Items, it)
}

// sorted returns the payouts by date, then merchant.
func (b *payoutBook) sorted() []Payout {
	out := make([]Payout, 0, len(b.slots))
	for _, p := range b.slots {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, k int) bool {
		if c := out[i].Date.Compare(out[k].Date); c != 0 {
			return c < 0
		}
		return out[i].MerchantID < out[k].MerchantID
	})
	return out
}

// Effective returns what the acquirer presents and pays among entries (every entry, in id
// order): the 0200 sales, the 0100 holds that a completion captured, and the refunds, each
// with its Fee plus its amendments' (reversals, completions), in id order, leaving out
// those reversed in full. A captured hold takes the day of its capture as its SaleDate
// (completions record that day), so it is cleared and paid from then. An uncaptured hold
// is never presented (OpenHolds lists them).
func Effective(entries []Entry) []Entry {
	out, captured := Amended(entries)
	kept := out[:0]
	for i, e := range out {
		if e.Fee.Gross != 0 && (!e.isHold() || captured[i]) {
			kept = append(kept, e)
		}
	}
	return kept
}

// OpenHolds returns the 0100 holds among entries (every entry, in id order) that no
// completion captured and that are neither reversed in full nor expired, each with its Fee
// plus its amendments': what the issuers still hold for the acquirer's merchants.
func OpenHolds(entries []Entry) []Entry {
	out, captured := Amended(entries)
	kept := out[:0]
	for i, e := range out {
		if e.isHold() && !captured[i] && e.Fee.Gross != 0 {
			kept = append(kept, e)
		}
	}
	return kept
}

// Amended returns the sales and refunds of entries (every entry, in id order) with their
// amendments' fees added (reversals, completions, expiries), so that each one's Fee.Gross
// is its amount in effect, and which of them a completion captured; a captured hold takes
// its first completion's day. Fully reversed and expired ones are kept, at zero.
func Amended(entries []Entry) (out []Entry, captured []bool) {
	index := make(map[int64]int, len(entries))
	for _, e := range entries {
		switch e.Kind {
		case EntrySale, EntryRefund:
			index[e.ID] = len(out)
			out = append(out, e)
			captured = append(captured, false)
		case EntryReversal, EntryCompletion, EntryExpiry:
			i, ok := index[e.OriginalID]
			if !ok {
				continue
			}
			out[i].Fee = add(out[i].Fee, e.Fee)
			if e.Kind == EntryCompletion && out[i].isHold() && !captured[i] {
				captured[i], out[i].SaleDate = true, e.SaleDate
			}
		}
	}
	return out, captured
}
