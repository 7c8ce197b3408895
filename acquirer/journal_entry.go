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

// amend builds the entry of a reversal or completion of a known original, moving the
// original as the issuer moved it: to the amount the issuer's answer says is still in
// effect (res.Remaining, field 95), never up (a late repeat of an older answer changes
// nothing). An answer without Remaining (the issuer matched nothing) moves nothing. A
// completion captures an uncaptured, unexpired 0100 hold: it is recorded even when the
// amount does not change, since it is what makes the hold a sale to present; a completion
// of anything else, or a second one, records nothing.
func (j *Journal) amend(ctx context.Context, a *bandeira.Authorization, res bandeira.Result, kind EntryKind) (*Entry, error) {
	if res.Remaining == nil {
		return nil, nil
	}
	t, err := j.find(ctx, a.OriginalKey())
	if err != nil {
		return nil, fmt.Errorf("journaling a %s: %w", kind, err)
	}
	if t == nil || (kind == EntryCompletion && (!t.hold() || t.captured || t.expired)) {
		return nil, nil
	}
	current := t.amount()
	target := min(max(*res.Remaining, 0), current)
	if target == current && kind != EntryCompletion {
		return nil, nil
	}
	e := j.change(t, target, kind)
	e.Key, e.MTI, e.RRN, e.AuthCode = a.Key(), a.MTI, a.RRN, res.AuthCode
	if kind == EntryCompletion {
		t.captured = true
		e.SaleDate = DateOf(e.At) // a captured hold is presented on the day of its capture
	}
	return e, nil
}

// change builds the entry that takes t from its amount now to target (repriced on its
// merchant's plan: the original plus its amendments is always the fee of what remains),
// numbers it and updates t. The caller sets the entry's own key fields. j.mu must be held.
func (j *Journal) change(t *tracked, target bandeira.Amount, kind EntryKind) *Entry {
	orig := &t.entry
	after := refundFee(target)
	if orig.Kind == EntrySale {
		var err error
		if after, _, _, err = j.acq.quote(orig.sale(target)); err != nil {
			j.log.Error().Err(err).Int64("original_id", orig.ID).Msg("repricing an amended sale failed; cancelling it in full")
			after = bandeira.Fee{}
		}
	}
	delta := subtract(after, t.fee)
	t.fee = after
	j.touch(t)
	e := *orig
	e.Kind, e.At, e.Fee, e.OriginalID, e.OriginalKey = kind, j.now(), delta, orig.ID, orig.Key
	e.ID = j.nextID
	j.nextID++
	return &e
}
