package issuers

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// process applies the processing code: balance inquiry, account verification, purchase
// or cash (hold for class 1, posting for class 2), refund (credit), and the account
// funding and original credit legs of a transfer (transfer.go).
func (b *Bank) process(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	var kind ledger.Kind
	switch tx := a.TxType(); {
	case a.IsBalanceInquiry():
		return b.inquire(ctx, c, res)
	case a.IsAccountVerification():
		return b.verify(res), nil
	case tx == bandeira.TxAccountFunding || tx == bandeira.TxOriginalCredit:
		return b.transfer(ctx, a, c, res)
	case tx == bandeira.TxPurchase || tx == bandeira.TxCash:
		kind = ledger.Hold
		if a.MTI.Class() == '2' {
			kind = ledger.Debit
		}
	case tx == bandeira.TxRefund:
		kind = ledger.Credit
	default:
		res.Code = bandeira.InvalidTransaction
		return res, nil
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

// post applies a hold, debit or credit and maps the ledger's outcome to a response code.
func (b *Bank) post(ctx context.Context, a *bandeira.Authorization, c *cardData, kind ledger.Kind, res bandeira.Result) (bandeira.Result, error) {
	authCode := b.nextAuthCode()
	out, err := b.ledger.Apply(ctx, ledger.Entry{
		Ref: c.ref(), Kind: kind, Key: a.Key().Normal(),
		Amount: a.Amount, AuthCode: authCode,
	})
	if err != nil {
		return res, fmt.Errorf("posting %s at %s: %w", kind, b.name, err)
	}
	switch out.Status {
	case ledger.StatusApplied:
		res.Code, res.AuthCode = bandeira.Approved, authCode
	case ledger.StatusInsufficientFunds:
		res.Code = bandeira.InsufficientFunds
	case ledger.StatusTombstoned:
		res.Code = bandeira.DoNotHonour
	case ledger.StatusConflict:
		res.Code = bandeira.DuplicateTransmission
	case ledger.StatusDuplicate:
		// An identical retransmit or a repeat (xx01) gets the stored answer; the same key
		// with another kind or amount is a duplicate transmission.
		res.Code, res.AuthCode = storedAnswer(out.Record, kind, a.Amount)
	default:
		return res, fmt.Errorf("posting %s at %s: unexpected ledger status %s", kind, b.name, out.Status)
	}
	return res, nil
}

// inquire approves a balance inquiry with the account's balances.
func (b *Bank) inquire(ctx context.Context, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	bal, err := b.ledger.Balances(ctx, c.ref())
	if err != nil {
		return res, fmt.Errorf("reading balances at %s: %w", b.name, err)
	}
	res.Code, res.AuthCode = bandeira.Approved, b.nextAuthCode()
	res.Balances = &bandeira.Balances{Ledger: bal.Balance, Available: bal.Available(), Currency: bandeira.CurrencyBRL}
	return res, nil
}

// reverse undoes the original named by field 90 (bandeira.Authorization.OriginalKey).
// Unknown and already reversed originals are
// acknowledged with 00 and change nothing; a refund reversal the account cannot cover is
// declined 51 and changes nothing.
func (b *Bank) reverse(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	out, err := b.ledger.Apply(ctx, ledger.Entry{Ref: c.ref(), Kind: ledger.Reverse, Key: a.OriginalKey(), Replacement: a.Replacement})
	if err != nil {
		return res, fmt.Errorf("reversing at %s: %w", b.name, err)
	}
	switch out.Status {
	case ledger.StatusApplied, ledger.StatusAlreadyReversed:
		res.Code, res.AuthCode = bandeira.Approved, out.Record.AuthCode
	case ledger.StatusNotFound:
		res.Code, res.AuthCode = bandeira.Approved, b.nextAuthCode()
	case ledger.StatusInsufficientFunds:
		res.Code = bandeira.InsufficientFunds
	case ledger.StatusConflict:
		res.Code = bandeira.DuplicateTransmission
	default:
		return res, fmt.Errorf("reversing at %s: unexpected ledger status %s", b.name, out.Status)
	}
	return res, nil
}

// storedAnswer is the answer to a request whose key is already recorded as r: the stored
// approval or decline when kind and amount match, 94 otherwise.
func storedAnswer(r ledger.Record, kind ledger.Kind, amount bandeira.Amount) (bandeira.ResponseCode, string) {
	switch {
	case r.Kind != kind || r.Amount != amount:
		return bandeira.DuplicateTransmission, ""
	case r.Status == ledger.StatusInsufficientFunds:
		return bandeira.InsufficientFunds, ""
	case r.Status == ledger.StatusTombstoned:
		return bandeira.DoNotHonour, ""
	default:
		return bandeira.Approved, r.AuthCode
	}
}

// capture completes the hold named by field 90 with a 0220/0221 completion advice: field 4
// is captured (at most what is still held) and the rest released. The advice is
// acknowledged with 00 and the hold's auth code whether or not the hold was still open; an
// unknown hold is acknowledged with 00 and changes nothing; a key naming another card, or
// a record that is not a hold, answers 94.
func (b *Bank) capture(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	if !a.AmountPresent || a.Amount <= 0 {
		res.Code = bandeira.InvalidAmount
		return res, nil
	}
	out, err := b.ledger.Apply(ctx, ledger.Entry{Ref: c.ref(), Kind: ledger.Capture, Key: a.OriginalKey(), Amount: a.Amount})
	if err != nil {
		return res, fmt.Errorf("capturing at %s: %w", b.name, err)
	}
	switch out.Status {
	case ledger.StatusApplied, ledger.StatusAlreadyReversed:
		res.Code, res.AuthCode = bandeira.Approved, out.Record.AuthCode
	case ledger.StatusNotFound:
		res.Code = bandeira.Approved
	case ledger.StatusConflict:
		res.Code = bandeira.DuplicateTransmission
	default:
		return res, fmt.Errorf("capturing at %s: unexpected ledger status %s", b.name, out.Status)
	}
	return res, nil
}
