package issuers

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// process applies the processing code: balance inquiry and account verification (moving
// nothing), purchase, cash and account funding (hold for class 1, posting for class 2),
// refund and original credit (credit; an original credit has no authorization-only form,
// so an 0100 gets 12). Every decision it makes is remembered under the request's key by
// the ledger, with the screens' outcome (sc), so that a retransmit gets the same answer.
// The two legs of a wallet's transfer are the account funding (10, the pull from the
// sender) and the original credit (26, the push to the recipient): docs/wallet.md.
func (b *Bank) process(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result, sc screening) (bandeira.Result, error) {
	var kind ledger.Kind
	switch tx := a.TxType(); {
	case a.IsBalanceInquiry(), a.IsAccountVerification():
		kind = ledger.Inquiry
	case tx == bandeira.TxPurchase || tx == bandeira.TxCash || tx == bandeira.TxAccountFunding:
		kind = ledger.Hold
		if a.MTI.Class() == '2' {
			kind = ledger.Debit
		}
	case tx == bandeira.TxRefund, tx == bandeira.TxOriginalCredit && a.MTI.Class() == '2':
		kind = ledger.Credit
	default:
		res.Code = bandeira.InvalidTransaction
		return res, nil
	}
	if sc.code == "" && sc.advice == nil && kind != ledger.Inquiry {
		switch {
		case !a.AmountPresent || a.Amount <= 0:
			sc.code = bandeira.InvalidAmount
		case b.maxAmount > 0 && a.Amount > b.maxAmount:
			sc.code = bandeira.ExceedsAmountLimit
		}
	}
	res, err := b.post(ctx, b.entry(a, c, kind, &sc), res)
	if a.IsAccountVerification() {
		res.Balances = nil // the card is good; what it holds is not the merchant's to know
	}
	return res, err
}

// entry is the ledger entry of a request of kind on card c, screened as sc: its key, the
// body the key binds (card, kind, amount, type) and what was decided before the ledger.
func (b *Bank) entry(a *bandeira.Authorization, c *cardData, kind ledger.Kind, sc *screening) ledger.Entry {
	e := ledger.Entry{Ref: c.ref(), Kind: kind, Key: a.Key().Normal(), Amount: max(a.Amount, 0),
		Type: ledger.TypeOf(a.MTI, a.ProcessingCode), AuthCodes: b.authCode,
		Decline: sc.code, PIN: sc.pin, PINTries: b.pinTries}
	if adv := sc.advice; adv != nil {
		e.Key, e.StandIn = adv.key, adv.approved && (e.Amount > 0 || kind == ledger.Inquiry)
		switch {
		case e.StandIn:
			e.AuthCode = a.AuthCode // the stand-in's; without one, the ledger's sequence gives it
		case adv.approved: // an approval of nothing posts nothing
			e.Decline = bandeira.InvalidAmount
		default:
			e.Decline = a.ResponseCode
		}
	}
	return e
}

// post has the ledger decide and remember e, and maps its outcome to the answer.
func (b *Bank) post(ctx context.Context, e ledger.Entry, res bandeira.Result) (bandeira.Result, error) {
	out, err := b.ledger.Apply(ctx, e)
	if err != nil {
		return res, fmt.Errorf("applying %s at %s: %w", e.Kind, b.name, err)
	}
	switch out.Status {
	case ledger.StatusApplied, ledger.StatusInsufficientFunds, ledger.StatusTombstoned, ledger.StatusDeclined,
		ledger.StatusDuplicate:
		// A retransmit or repeat (xx01) gets the answer remembered under its key: the
		// approval and its auth code, or the decline, whatever it corrected since.
		res.Code, res.AuthCode = storedAnswer(&out.Record)
	case ledger.StatusConflict:
		res.Code = bandeira.DuplicateTransmission
	default:
		return res, fmt.Errorf("applying %s at %s: unexpected ledger status %s", e.Kind, b.name, out.Status)
	}
	if e.Kind == ledger.Inquiry && res.Code.Approved() {
		bal := out.Balances
		res.Balances = &bandeira.Balances{Ledger: bal.Balance, Available: bal.Available(), Currency: bandeira.CurrencyBRL}
	}
	if e.StandIn && out.Status == ledger.StatusApplied {
		b.metrics.standIn(&out)
	}
	return res, nil
}

// storedAnswer is the answer remembered in r: an approval with its auth code, or the
// decline's code.
func storedAnswer(r *ledger.Record) (bandeira.ResponseCode, string) {
	switch r.Status {
	case ledger.StatusApplied:
		return bandeira.Approved, r.AuthCode
	case ledger.StatusInsufficientFunds:
		return bandeira.InsufficientFunds, ""
	case ledger.StatusTombstoned:
		return bandeira.DoNotHonour, ""
	default:
		return r.Code, ""
	}
}
