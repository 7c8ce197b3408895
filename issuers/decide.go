package issuers

import (
	"context"
	"fmt"
	"time"

	"github.com/bandeira/bandeira"
)

// decide runs the checks of the package documentation in order.
func (b *Bank) decide(ctx context.Context, a *bandeira.Authorization) (bandeira.Result, error) {
	c, ok := b.gen.lookup(b.rows, a.PAN.Digits())
	if !ok {
		return bandeira.Result{Code: bandeira.InvalidCardNumber, Issuer: b.name}, nil
	}
	res := bandeira.Result{Issuer: b.name, Brand: c.row.brand, Product: c.row.product}
	if c.scenario == noAnswer && withholds(a) {
		if _, err := b.decideCard(ctx, a, &c, res); err != nil {
			return res, err
		}
		<-ctx.Done()
		return res, fmt.Errorf("authorizing at %s: %w", b.name, ctx.Err())
	}
	if err := b.behave(ctx, &c); err != nil {
		return res, err
	}
	return b.decideCard(ctx, a, &c, res)
}

// withholds reports whether a no-answer card withholds the answer to a: a request that
// moves money (an 0100 or 0200 other than a balance inquiry), which it decides and posts
// first, as an issuer whose answer is lost does.
func withholds(a *bandeira.Authorization) bool {
	c := a.MTI.Class()
	return (c == '1' || c == '2') && a.MTI.IsRequest() && a.MTI[2] == '0' && !a.IsBalanceInquiry()
}

// decideCard decides a for the bank's card c, after its scenario's behaviour.
func (b *Bank) decideCard(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	m := a.MTI
	switch {
	case !m.IsRequest() || (m.Class() != '1' && m.Class() != '2' && m.Class() != '4'):
		res.Code = bandeira.InvalidTransaction
		return res, nil
	case m.Class() == '4':
		return b.reverse(ctx, a, c, res)
	case m.Original() == bandeira.MTIFinancialAdvice && a.Original != nil:
		return b.capture(ctx, a, c, res)
	}
	code, err := b.screen(ctx, a, c)
	if err != nil || code != "" {
		res.Code = code
		return res, err
	}
	return b.process(ctx, a, c, res)
}

// behave plays the issuer-down and slow scenarios.
func (b *Bank) behave(ctx context.Context, c *cardData) error {
	switch c.scenario {
	case issuerDown:
		return fmt.Errorf("authorizing at %s: %w", b.name, bandeira.ErrIssuerUnavailable)
	case slow:
		t := time.NewTimer(b.slowDelay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("authorizing at %s: %w", b.name, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// screen checks card status, expiry, CVV2 and PIN. It returns "" when all pass.
func (b *Bank) screen(ctx context.Context, a *bandeira.Authorization, c *cardData) (bandeira.ResponseCode, error) {
	switch c.scenario {
	case lost:
		return bandeira.LostCard, nil
	case stolen:
		return bandeira.StolenCard, nil
	case blocked:
		return bandeira.RestrictedCard, nil
	}
	if now := b.now(); c.expiry < uint16((now.Year()%100)*100+int(now.Month())) {
		return bandeira.ExpiredCard, nil
	}
	if a.Expiry != "" && !digitsEqual(a.Expiry, uint64(c.expiry), 4) {
		return bandeira.ExpiredCard, nil
	}
	if a.CVV2 != "" && !digitsEqual(a.CVV2, uint64(c.cvv), 3) {
		return bandeira.CVV2Mismatch, nil
	}
	if a.PINBlock == "" {
		return "", nil
	}
	pin, err := bandeira.DecodePINBlock(a.PINBlock, a.PAN)
	ok := err == nil && digitsEqual(pin, uint64(c.pin), 4)
	failures, err := b.ledger.PINTry(ctx, c.ref(), ok)
	switch {
	case err != nil:
		return "", fmt.Errorf("recording PIN try at %s: %w", b.name, err)
	case ok:
		return "", nil
	case failures >= b.pinTries:
		return bandeira.PINTriesExceeded, nil
	default:
		return bandeira.IncorrectPIN, nil
	}
}

// digitsEqual reports whether s is exactly width decimal digits with the value v.
func digitsEqual(s string, v uint64, width int) bool {
	if len(s) != width {
		return false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n == v
}
