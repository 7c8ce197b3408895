package acquirer

import (
	"errors"
	"fmt"

	"github.com/bandeira/bandeira"
)

// The payout calendar of docs/economics.md ("The payout calendar"), with no pre-payment
// (antecipação).
const (
	// DebitPayoutBusinessDays: a debit sale is paid D+1 business day.
	DebitPayoutBusinessDays = 1
	// PrepaidPayoutBusinessDays: a prepaid sale is paid D+2 business days.
	PrepaidPayoutBusinessDays = 2
	// CreditPayoutDays: a credit sale is paid D+30 calendar days, and lojista installment k
	// at D+30·k, each rolled forward to the next business day.
	CreditPayoutDays = 30
)

// ErrFeeMismatch means a fee that does not belong to the sale: its gross differs from the
// sale amount, Gross − MDR ≠ Net, or an amount is negative.
var ErrFeeMismatch = errors.New("acquirer: fee does not match the sale")

// Leg is one payout of one sale to its merchant: the whole net of an à vista sale, or one
// monthly installment of a parcelado lojista sale. Gross = MDR + Net.
type Leg struct {
	Number int             // 1-based installment number
	Of     int             // how many legs the sale has
	Date   Date            // the business day the merchant is paid
	Gross  bandeira.Amount // the share of the sale amount
	MDR    bandeira.Amount // the share of the fee
	Net    bandeira.Amount // what the merchant receives
}

// Legs returns the payouts of a sale made on day sold and priced at fee, in date order:
//
//   - debit: one leg at D+1 business day;
//   - prepaid: one leg at D+2 business days;
//   - credit à vista and parcelado emissor: one leg at D+30 calendar days, rolled forward
//     to the next business day;
//   - credit parcelado lojista in N installments: N legs, leg k at D+30·k calendar days,
//     each rolled forward the same way.
//
// Installments on a debit or prepaid sale are ignored, as Price ignores them. The net
// (what the merchant receives, fee.Net) is split: each leg gets floor(Net/N) and the first
// leg also gets the remainder. The MDR is split the same way, and each leg's gross is its
// net plus its MDR, so the legs add up exactly to the fee's Net, MDR and Gross and no
// part is ever negative. Legs fails with ErrUnknownProduct, ErrInvalidInstallments or
// ErrFeeMismatch.
func (c *Calendar) Legs(sale bandeira.Sale, fee bandeira.Fee, sold Date) ([]Leg, error) {
	if fee.Gross != sale.Amount || fee.Gross-fee.MDR != fee.Net || fee.MDR < 0 || fee.Net < 0 {
		return nil, fmt.Errorf("scheduling the payout of %d centavos: %w", int64(sale.Amount), ErrFeeMismatch)
	}
	ci, err := classify(sale.Product, sale.Installments)
	if err != nil {
		return nil, fmt.Errorf("scheduling a payout: %w", err)
	}
	switch cl := classes[ci]; {
	case cl.product == bandeira.Debit:
		return []Leg{whole(fee, c.AddBusinessDays(sold, DebitPayoutBusinessDays))}, nil
	case cl.product == bandeira.Prepaid:
		return []Leg{whole(fee, c.AddBusinessDays(sold, PrepaidPayoutBusinessDays))}, nil
	case cl.band == BandLojista2To6 || cl.band == BandLojista7To12:
		return c.installments(fee, sold, sale.Installments.Count), nil
	default:
		return []Leg{whole(fee, c.RollForward(sold.AddDays(CreditPayoutDays)))}, nil
	}
}

// whole is the single leg of an à vista payout.
func whole(fee bandeira.Fee, on Date) Leg {
	return Leg{Number: 1, Of: 1, Date: on, Gross: fee.Gross, MDR: fee.MDR, Net: fee.Net}
}

// installments splits a parcelado lojista sale into n monthly legs.
func (c *Calendar) installments(fee bandeira.Fee, sold Date, n int) []Leg {
	legs := make([]Leg, n)
	count := bandeira.Amount(n)
	netEach, mdrEach := fee.Net/count, fee.MDR/count
	for k := range n {
		l := Leg{Number: k + 1, Of: n, Date: c.RollForward(sold.AddDays(CreditPayoutDays * (k + 1))),
			MDR: mdrEach, Net: netEach}
		if k == 0 {
			l.MDR += fee.MDR % count
			l.Net += fee.Net % count
		}
		l.Gross = l.MDR + l.Net
		legs[k] = l
	}
	return legs
}
