package acquirer

import (
	"fmt"
	"time"

	"github.com/bandeira/bandeira"
)

// EntryKind says what a journal entry records.
type EntryKind uint8

// The kinds of journal entry.
const (
	// EntrySale is an approved purchase or cash withdrawal, priced: its Fee is positive.
	EntrySale EntryKind = 1
	// EntryRefund is an approved refund (processing code 20): Gross and Net are minus the
	// amount; no fee is charged or given back (docs/economics.md).
	EntryRefund EntryKind = 2
	// EntryReversal cancels all or part of an earlier sale or refund: its Fee is the change
	// (the original's fee at the remaining amount minus its fee before), so the original's
	// Fee plus its reversals' is the fee of what remains.
	EntryReversal EntryKind = 3
	// EntryCompletion is a 0220 completion advice (field 90) that captured an 0100 hold:
	// the hold is presented from then on, at the captured amount. Like a partial
	// reversal, its Fee is the change to the original (zero when it captured it all).
	EntryCompletion EntryKind = 4
	// EntryExpiry releases an 0100 hold still uncaptured issuers.ledger.hold_expiry after
	// it was journaled, as the issuer releases it: its Fee is minus the hold's.
	EntryExpiry EntryKind = 5
)

// String returns "sale", "refund", "reversal", "completion" or "expiry".
func (k EntryKind) String() string {
	switch k {
	case EntrySale:
		return "sale"
	case EntryRefund:
		return "refund"
	case EntryReversal:
		return "reversal"
	case EntryCompletion:
		return "completion"
	case EntryExpiry:
		return "expiry"
	}
	return "unknown"
}

// MarshalText writes the kind's name.
func (k EntryKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name; anything else is an error.
func (k *EntryKind) UnmarshalText(b []byte) error {
	for _, v := range []EntryKind{EntrySale, EntryRefund, EntryReversal, EntryCompletion, EntryExpiry} {
		if v.String() == string(b) {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("reading entry kind %q: want sale, refund, reversal, completion or expiry", b)
}

// Entry is one row of the acquirer's journal. Amounts are signed centavos: a sale's are
// positive, a refund's Gross and Net negative, and a reversal's the (usually negative)
// change it makes to its original. Fee.Interchange + Fee.BrandFee + Fee.AcquirerMargin ==
// Fee.MDR and Fee.Gross − Fee.MDR == Fee.Net on every entry.
type Entry struct {
	ID       int64        `json:"id"` // sequential from 1
	Kind     EntryKind    `json:"kind"`
	At       time.Time    `json:"at"`        // when the journal recorded it
	SaleDate Date         `json:"sale_date"` // Brasília day of the sale (a reversal: its original's)
	Key      bandeira.Key `json:"key"`       // fields 32, 41, 11, 7 of the request
	MTI      bandeira.MTI `json:"mti"`
	TxType   string       `json:"tx_type"` // processing code's first two digits: 00, 01, 20
	RRN      string       `json:"rrn,omitempty"`
	AuthCode string       `json:"auth_code,omitempty"`
	// MerchantID is field 42; Brand, Product and Band are how the sale was priced.
	MerchantID   string                 `json:"merchant_id"`
	Brand        bandeira.Brand         `json:"brand"`
	Product      bandeira.Product       `json:"product"`
	Band         Band                   `json:"band"`
	Installments *bandeira.Installments `json:"installments,omitempty"`
	Issuer       string                 `json:"issuer"`
	Fee          bandeira.Fee           `json:"fee"`
	// OriginalID and OriginalKey name the entry a reversal, completion or expiry amends;
	// zero otherwise.
	OriginalID  int64        `json:"original_id,omitempty"`
	OriginalKey bandeira.Key `json:"original_key"`
}

// isHold reports whether e is an authorization hold: a sale journaled from an 0100 or
// 0101, presented only once a completion captures it.
func (e *Entry) isHold() bool { return e.Kind == EntrySale && e.MTI.Class() == '1' }

// Sale returns the sale an entry describes, at the given amount.
func (e *Entry) sale(amount bandeira.Amount) bandeira.Sale {
	return bandeira.Sale{MerchantID: e.MerchantID, Brand: e.Brand, Product: e.Product, Amount: amount, Installments: e.Installments}
}

// kindOf returns the journal kind of an approved request, or false when the journal has
// nothing to record: purchases and cash withdrawals (0100, 0200 and their repeats) are
// sales, refunds (0100/0200 with processing code 20) are refunds, 0400/0420 (and
// repeats) reversals, and 0220 (and repeats) with field 90 completions. Other advices,
// inquiries, funding and network management move no money the acquirer settles.
func kindOf(a *bandeira.Authorization) (EntryKind, bool) {
	switch a.MTI.Class() {
	case '1', '2':
		if a.MTI.Original() == bandeira.MTIFinancialAdvice && a.Original != nil {
			tx := a.TxType()
			return EntryCompletion, tx == bandeira.TxPurchase || tx == bandeira.TxCash
		}
		if a.IsSale() {
			return EntrySale, true
		}
		if a.MTI[2] == '0' && a.TxType() == bandeira.TxRefund {
			return EntryRefund, true
		}
	case '4':
		return EntryReversal, true
	}
	return 0, false
}

// subtract returns a − b part by part.
func subtract(a, b bandeira.Fee) bandeira.Fee {
	return bandeira.Fee{Gross: a.Gross - b.Gross, MDR: a.MDR - b.MDR, Interchange: a.Interchange - b.Interchange,
		BrandFee: a.BrandFee - b.BrandFee, AcquirerMargin: a.AcquirerMargin - b.AcquirerMargin, Net: a.Net - b.Net}
}

// add returns a + b part by part.
func add(a, b bandeira.Fee) bandeira.Fee {
	return bandeira.Fee{Gross: a.Gross + b.Gross, MDR: a.MDR + b.MDR, Interchange: a.Interchange + b.Interchange,
		BrandFee: a.BrandFee + b.BrandFee, AcquirerMargin: a.AcquirerMargin + b.AcquirerMargin, Net: a.Net + b.Net}
}

// refundFee is the fee row of a refund of amount centavos: no fee, the whole amount back.
func refundFee(amount bandeira.Amount) bandeira.Fee {
	return bandeira.Fee{Gross: -amount, Net: -amount}
}
