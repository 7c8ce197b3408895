package issuers

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// reverse brings the original named by field 90 (bandeira.Authorization.OriginalKey) down
// to field 95's amount (all of it without field 95), on the original's account whatever
// card the reversal names (ref, the zero Ref for a card the bank never issued, matters
// only when there is no original: the ledger then leaves a tombstone). It is acknowledged
// with 00 and the original's auth code, also when it changes nothing; a refund reversal
// the account can no longer cover answers 51 and changes nothing. Remaining carries the
// original's amount still in effect, nil when there is no original.
func (b *Bank) reverse(ctx context.Context, a *bandeira.Authorization, ref ledger.Ref, res bandeira.Result) (bandeira.Result, error) {
	out, err := b.ledger.Apply(ctx, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: a.OriginalKey(), Replacement: a.Replacement})
	if err != nil {
		return res, fmt.Errorf("reversing at %s: %w", b.name, err)
	}
	switch out.Status {
	case ledger.StatusApplied, ledger.StatusAlreadyReversed, ledger.StatusNotFound:
		res.Code, res.AuthCode = bandeira.Approved, out.Record.AuthCode
	case ledger.StatusInsufficientFunds:
		res.Code = bandeira.InsufficientFunds
	default:
		return res, fmt.Errorf("reversing at %s: unexpected ledger status %s", b.name, out.Status)
	}
	b.tellOriginal(&res, &out)
	return res, nil
}

// capture completes the hold named by field 90 with a 0220/0221 completion advice, on the
// hold's account whatever card the advice names: field 4, at most what is still held, is
// captured and the rest released. It is acknowledged with 00 and the hold's auth code
// whether or not the hold was still open; an unknown hold is acknowledged with 00 and
// changes nothing; a record that is not a hold answers 94. Remaining carries what the hold
// captured and keeps in effect (0 when it was reversed or expired first), nil when there
// is no original.
func (b *Bank) capture(ctx context.Context, a *bandeira.Authorization, res bandeira.Result) (bandeira.Result, error) {
	if !a.AmountPresent || a.Amount <= 0 {
		res.Code = bandeira.InvalidAmount
		return res, nil
	}
	out, err := b.ledger.Apply(ctx, ledger.Entry{Kind: ledger.Capture, Key: a.OriginalKey(), Amount: a.Amount})
	if err != nil {
		return res, fmt.Errorf("capturing at %s: %w", b.name, err)
	}
	switch out.Status {
	case ledger.StatusApplied, ledger.StatusAlreadyReversed, ledger.StatusNotFound:
		res.Code, res.AuthCode = bandeira.Approved, out.Record.AuthCode
	case ledger.StatusConflict:
		res.Code = bandeira.DuplicateTransmission
		return res, nil
	default:
		return res, fmt.Errorf("capturing at %s: unexpected ledger status %s", b.name, out.Status)
	}
	b.tellOriginal(&res, &out)
	return res, nil
}

// tellOriginal puts in res what the answer to a reversal or completion says about its
// original: the amount still in effect, and the brand and product of its card.
func (b *Bank) tellOriginal(res *bandeira.Result, out *ledger.Outcome) {
	if !out.Matched() {
		return
	}
	remaining := out.Record.Open
	res.Remaining = &remaining
	for i := range b.rows {
		if r := &b.rows[i]; r.bin == out.Record.Account.BIN {
			res.Brand, res.Product = r.brand, r.product
		}
	}
}
