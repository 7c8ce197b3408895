package issuers

import (
	"context"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// This file holds what a wallet sends an issuer besides purchases: the two legs of a
// person-to-person transfer and the account verification that comes before a card is
// kept (docs/wallet.md). The card has passed the screens (status, expiry, CVV2, PIN)
// before either runs.

// verify approves an account verification (an 0100 with processing code 00 and amount 0):
// the screens passed, so the card is good. Nothing is held or posted, and no request is
// recorded: a verification moves no money and cannot be reversed.
func (b *Bank) verify(res bandeira.Result) bandeira.Result {
	res.Code, res.AuthCode = bandeira.Approved, b.nextAuthCode()
	return res
}

// transfer applies the legs of a transfer. An account funding transaction (processing
// code 10, the pull from the sender) holds the amount on an 0100 and debits it on an
// 0200, with the funds check of a purchase (51). An original credit transaction (26, the
// push to the recipient) credits the account on an 0200 with no funds check; it has no
// authorization-only form, so an 0100 is answered 12. Both answer 13 to an amount that
// is absent or not positive and 61 above the per-transaction limit.
func (b *Bank) transfer(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	kind := ledger.Debit
	switch {
	case a.TxType() == bandeira.TxOriginalCredit && a.MTI.Class() != '2':
		res.Code = bandeira.InvalidTransaction
		return res, nil
	case a.TxType() == bandeira.TxOriginalCredit:
		kind = ledger.Credit
	case a.MTI.Class() == '1':
		kind = ledger.Hold
	}
	switch {
	case !a.AmountPresent || a.Amount <= 0:
		res.Code = bandeira.InvalidAmount
		return res, nil
	case b.maxAmount > 0 && a.Amount > b.maxAmount:
		res.Code = bandeira.ExceedsAmountLimit
		return res, nil
	}
	return b.post(ctx, a, c, kind, res)
}
