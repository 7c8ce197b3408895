package issuers

import (
	"context"
	"fmt"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// decide runs the checks of the package documentation in order.
func (b *Bank) decide(ctx context.Context, a *bandeira.Authorization) (bandeira.Result, error) {
	c, ok := b.gen.lookup(b.rows, a.PAN.Digits())
	res := bandeira.Result{Issuer: b.name}
	if ok {
		res.Brand, res.Product = c.row.brand, c.row.product
	}
	m := a.MTI
	switch {
	case m.IsRequest() && m.Class() == '4':
		return b.reverse(ctx, a, refOf(&c, ok), res)
	case m.Original() == bandeira.MTIFinancialAdvice && a.Original != nil:
		return b.capture(ctx, a, res)
	case !ok:
		res.Code = bandeira.InvalidCardNumber
		return res, nil
	case m.Original() == bandeira.MTIAuthorizationAdvice:
		return b.advise(ctx, a, &c, res)
	}
	if c.scenario == noAnswer && withholds(a) {
		return b.withhold(ctx, a, &c, res)
	}
	if err := b.behave(ctx, &c); err != nil {
		return res, err
	}
	if !m.IsRequest() || (m.Class() != '1' && m.Class() != '2') {
		res.Code = bandeira.InvalidTransaction
		return res, nil
	}
	return b.process(ctx, a, &c, res, b.screen(a, &c))
}

// withholds reports whether a no-answer card withholds the answer to a: a request that
// moves money (an 0100 or 0200 other than a balance inquiry).
func withholds(a *bandeira.Authorization) bool {
	c := a.MTI.Class()
	return (c == '1' || c == '2') && a.MTI.IsRequest() && a.MTI[2] == '0' && !a.IsBalanceInquiry()
}

// withhold plays the no-answer card: it decides and posts a as usual, as an issuer whose
// answer is lost on the way does, and then never answers (until ctx ends). Its inquiries
// and reversals are answered, so the money the late approval holds can be seen and
// released.
func (b *Bank) withhold(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	if _, err := b.process(ctx, a, c, res, b.screen(a, c)); err != nil {
		return res, err
	}
	<-ctx.Done()
	return res, fmt.Errorf("authorizing at %s: %w", b.name, ctx.Err())
}

// refOf is the card's account, or none (the zero Ref) for a card the bank never issued.
func refOf(c *cardData, ok bool) ledger.Ref {
	if !ok {
		return ledger.Ref{}
	}
	return c.ref()
}

// behave plays the issuer-down and slow scenarios (withhold plays the no-answer one).
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

// screening is what the bank decided about a request before its ledger weighs it: a
// decline of its own, the PIN check, or, for an 0120 advice, the network's decision.
type screening struct {
	code   bandeira.ResponseCode // a decline decided before the PIN, or ""
	pin    ledger.PINCheck
	advice *advice
}

// advice is an 0120's stand-in decision.
type advice struct {
	key      bandeira.Key
	approved bool
}

// screen checks card status, expiry, CVV2 and PIN. It changes nothing: the ledger counts
// a wrong PIN when it remembers the request, so that a retransmit does not count it again.
func (b *Bank) screen(a *bandeira.Authorization, c *cardData) screening {
	switch c.scenario {
	case lost:
		return screening{code: bandeira.LostCard}
	case stolen:
		return screening{code: bandeira.StolenCard}
	case blocked:
		return screening{code: bandeira.RestrictedCard}
	}
	if now := b.now(); c.expiry < uint16((now.Year()%100)*100+int(now.Month())) {
		return screening{code: bandeira.ExpiredCard}
	}
	if a.Expiry != "" && !digitsEqual(a.Expiry, uint64(c.expiry), 4) {
		return screening{code: bandeira.ExpiredCard}
	}
	if a.CVV2 != "" && !digitsEqual(a.CVV2, uint64(c.cvv), 3) {
		return screening{code: bandeira.CVV2Mismatch}
	}
	if a.PINBlock == "" {
		return screening{}
	}
	pin, err := bandeira.DecodePINBlock(a.PINBlock, a.PAN)
	if err == nil && digitsEqual(pin, uint64(c.pin), 4) {
		return screening{pin: ledger.PINRight}
	}
	return screening{pin: ledger.PINWrong}
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
