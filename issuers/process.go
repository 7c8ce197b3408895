package issuers

import (
	"context"
	"fmt"
	"strings"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// process applies the processing code: balance inquiry, purchase or cash (hold for class 1,
// posting for class 2), refund (credit).
func (b *Bank) process(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	var kind ledger.Kind
	switch tx := a.TxType(); {
	case a.IsBalanceInquiry():
		return b.inquire(ctx, c, res)
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
		Ref: c.ref(), Kind: kind, Key: ledger.NewKey(a.AcquirerID, a.STAN, a.TransmissionTime),
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
	case ledger.StatusDuplicate:
		// A repeat (xx01) of an approved request gets the original answer; anything else
		// reusing the key is a duplicate transmission.
		r := out.Record
		if a.MTI.IsRepeat() && r.Kind == kind && r.Amount == a.Amount {
			res.Code, res.AuthCode = bandeira.Approved, r.AuthCode
		} else {
			res.Code = bandeira.DuplicateTransmission
		}
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

// reverse undoes the original named by field 90 (or, without field 90, the request's own
// acquirer ID, STAN and transmission time; a field 90 acquirer ID of zeros means the
// request's own field 32). Unknown and already reversed originals are
// acknowledged with 00 and change nothing; a refund reversal the account cannot cover is
// declined 51 and changes nothing.
func (b *Bank) reverse(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	key := ledger.NewKey(a.AcquirerID, a.STAN, a.TransmissionTime)
	if o := a.Original; o != nil {
		acquirer := o.AcquirerID
		if strings.Trim(acquirer, "0") == "" {
			acquirer = a.AcquirerID // field 90 left the acquirer ID as zeros
		}
		key = ledger.NewKey(acquirer, o.STAN, o.TransmissionTime)
	}
	out, err := b.ledger.Apply(ctx, ledger.Entry{Ref: c.ref(), Kind: ledger.Reverse, Key: key, Replacement: a.Replacement})
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
	default:
		return res, fmt.Errorf("reversing at %s: unexpected ledger status %s", b.name, out.Status)
	}
	return res, nil
}
