package acquirer

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
)

// newEntry builds a sale or refund entry.
func (j *Journal) newEntry(a *bandeira.Authorization, res bandeira.Result, kind EntryKind, fee bandeira.Fee) (Entry, error) {
	if kind == EntryRefund {
		fee = refundFee(a.Amount)
	} else if fee.Gross != a.Amount || fee.Gross-fee.MDR != fee.Net {
		return Entry{}, fmt.Errorf("journaling a sale of %d centavos: %w", int64(a.Amount), ErrFeeMismatch)
	}
	brand := res.Brand
	if brand == "" {
		brand = bandeira.BrandOf(a.PAN)
	}
	band := BandAVista
	if ci, err := classify(res.Product, a.Installments); err == nil {
		band = classes[ci].band
	}
	at := j.now()
	return Entry{Kind: kind, At: at, SaleDate: DateOf(at), Key: a.Key(), MTI: a.MTI, TxType: a.TxType(),
		RRN: a.RRN, AuthCode: res.AuthCode, MerchantID: a.MerchantID, Brand: brand, Product: res.Product,
		Band: band, Installments: a.Installments, Issuer: res.Issuer, Fee: fee}, nil
}

// amend builds the entry of a reversal or completion of a known original that changes
// its amount, or nil: a reversal keeps field 95's amount (nothing without it), a
// completion captures field 4, never more than remains.
func (j *Journal) amend(ctx context.Context, a *bandeira.Authorization, res bandeira.Result, kind EntryKind) (*Entry, error) {
	t, err := j.find(ctx, a.OriginalKey())
	if err != nil {
		return nil, fmt.Errorf("journaling a %s: %w", kind, err)
	}
	if t == nil || (kind == EntryCompletion && t.entry.Kind != EntrySale) {
		return nil, nil
	}
	remaining := t.fee.Gross
	if remaining < 0 {
		remaining = -remaining
	}
	var target bandeira.Amount
	switch {
	case kind == EntryCompletion:
		target = min(max(a.Amount, 0), remaining)
	case a.Replacement != nil && *a.Replacement > 0:
		target = min(*a.Replacement, remaining)
	}
	if target == remaining {
		return nil, nil
	}
	orig := &t.entry
	after := refundFee(target)
	if orig.Kind == EntrySale {
		if after, _, _, err = j.acq.quote(orig.sale(target)); err != nil {
			j.log.Error().Err(err).Int64("original_id", orig.ID).Msg("repricing a partial reversal failed; reversing in full")
			after = bandeira.Fee{}
		}
	}
	delta := subtract(after, t.fee)
	t.fee = after
	j.touch(t)
	e := *orig
	e.Kind, e.At, e.Key, e.MTI, e.TxType, e.RRN = kind, j.now(), a.Key(), a.MTI, orig.TxType, a.RRN
	e.AuthCode, e.Fee, e.OriginalID, e.OriginalKey = res.AuthCode, delta, orig.ID, orig.Key
	e.ID = j.nextID
	j.nextID++
	return &e, nil
}
