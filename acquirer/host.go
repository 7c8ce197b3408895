package acquirer

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
)

// Host is the acquirer's side of every approval the gateway routed: in one call it prices
// a sale and journals what the acquirer settles, from nothing but the request and the
// response that came back (the brand of the network the gateway asked, and the product
// and issuer the response carried in field 48). It reads no other party's memory, so it
// works the same whether the network and the issuer run in this process or behind TCP
// links. It is safe for concurrent use.
type Host struct {
	acq     *Acquirer
	journal *Journal
}

// NewHost returns the Host that prices with acq and journals in j. A nil j prices without
// journaling (the in-memory benchmark of the whole network); acq is required.
func NewHost(acq *Acquirer, j *Journal) *Host { return &Host{acq: acq, journal: j} }

// Record books an approved request before the gateway answers it. A purchase or cash
// withdrawal is priced on its merchant's plan, at the brand and product of res, and
// journaled with its fee; refunds, reversals and completions are journaled as Journal.Record
// says; anything else, and any decline, books nothing and returns nil. The sale's fee is
// counted in the metrics only once its entry has committed.
//
// A non-nil error means the approval is not booked: the sale could not be priced (its
// product or brand is missing or unknown, the amount or installment plan is out of range)
// or the journal could not commit it. The gateway must then not send the approval.
func (h *Host) Record(ctx context.Context, a bandeira.Authorization, res bandeira.Result) error {
	if !res.Code.Approved() {
		return nil
	}
	var (
		fee    bandeira.Fee
		bi, ci int
		sale   = a.IsSale()
	)
	if sale {
		var err error
		fee, bi, ci, err = h.acq.quote(bandeira.Sale{MerchantID: a.MerchantID, Brand: res.Brand,
			Product: res.Product, Amount: a.Amount, Installments: a.Installments})
		if err != nil {
			return fmt.Errorf("pricing a sale: %w", err)
		}
	}
	if h.journal != nil {
		if err := h.journal.Record(ctx, a, res, fee); err != nil {
			return err
		}
	}
	if sale {
		h.acq.metrics[bi][ci].count(fee)
	}
	return nil
}

// Calendar returns the payout calendar.
func (h *Host) Calendar() *Calendar { return h.acq.calendar }

// Journal returns the journal Record writes to, or nil.
func (h *Host) Journal() *Journal { return h.journal }
