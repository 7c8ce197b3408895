package loadtest

import (
	"fmt"
	"strings"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

// Merchant is the card acceptor the generated requests carry.
type Merchant struct {
	AcquirerID   string `yaml:"acquirer_id"`   // field 32, up to 11 digits
	MerchantID   string `yaml:"merchant_id"`   // field 42, up to 15 characters
	MCC          string `yaml:"mcc"`           // field 18, 4 digits
	NameLocation string `yaml:"name_location"` // field 43, up to 40 characters
}

// amounts are the purchase, refund and installment-sale totals drawn at random, in
// centavos (R$ 0.50 to R$ 19.90): small, so that a long run drains balances slowly.
var amounts = [...]uint64{50, 100, 250, 500, 990, 1000, 1500, 1990}

// declineExtra is added to decline purchases so that they exceed an insufficient-funds
// card's R$ 1.00.
const declineExtra = 10_000

// plan is the read-only part of the traffic, shared by every connection: the kind
// picker, card pools by kind (Installments: the regular credit cards) and the packed
// templates.
type plan struct {
	picker picker
	cards  []Card
	pools  [numKinds][]int32
	tmpl   [numKinds][20]*frameTemplate // by PAN length; echo uses index 0
}

// newPlan builds the templates for every kind of mix and every PAN length among the
// cards that kind uses.
func newPlan(mix Mix, cards []Card, m Merchant) (*plan, error) {
	p := &plan{picker: newPicker(mix), cards: cards}
	for i, c := range cards {
		switch {
		case c.Scenario == "":
			for _, k := range []Kind{Purchase, Refund, Reversal, Balance} {
				p.pools[k] = append(p.pools[k], int32(i))
			}
			if c.Product == string(bandeira.Credit) {
				p.pools[Installments] = append(p.pools[Installments], int32(i))
			}
		case isDecline(c.Scenario):
			p.pools[Decline] = append(p.pools[Decline], int32(i))
		}
	}
	for k, w := range mix {
		kind := Kind(k)
		if w == 0 {
			continue
		}
		if kind == Echo {
			t, err := newTemplate(requestMessage(Echo, "", m))
			if err != nil {
				return nil, err
			}
			p.tmpl[Echo][0] = t
			continue
		}
		if len(p.pools[kind]) == 0 {
			return nil, fmt.Errorf("the mix has %s but no card suits it%s", kind, poolHint[kind])
		}
		if err := p.buildTemplates(kind, m); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// poolHint says which cards a kind needs, for the error when there are none.
var poolHint = [numKinds]string{
	Decline:      " (it needs scenario cards: " + strings.Join(DeclineScenarios, ", ") + ")",
	Installments: " (it needs regular credit cards)",
}

// buildTemplates packs one template of kind per PAN length of its pool.
func (p *plan) buildTemplates(kind Kind, m Merchant) error {
	pool := p.pools[kind]
	if kind == Reversal {
		pool = p.pools[Purchase]
	}
	for _, i := range pool {
		n := len(p.cards[i].PAN)
		if p.tmpl[kind][n] != nil {
			continue
		}
		t, err := newTemplate(requestMessage(kind, p.cards[i].PAN.Digits(), m))
		if err != nil {
			return err
		}
		p.tmpl[kind][n] = t
	}
	if kind == Reversal {
		// Reversals fall back to purchases, which must exist for every length too.
		return p.buildTemplates(Purchase, m)
	}
	return nil
}

// requestMessage is the message a template is packed from: every variable field filled
// to its full width with placeholder digits.
func requestMessage(k Kind, pan string, m Merchant) iso.Message {
	msg := iso.Message{MTI: "0200", Fields: map[int]string{
		7: "0101000000", 11: "000001",
	}}
	if k == Echo {
		msg.MTI = "0800"
		msg.Fields[70] = bandeira.Echo
		return msg
	}
	for n, v := range map[int]string{
		2: pan, 3: "000000", 4: "000000000100", 12: "000000", 13: "0101", 14: "0000",
		18: m.MCC, 19: "076", 22: "012", 25: "00", 32: m.AcquirerID, 37: "000000000000",
		41: "LT000000", 42: m.MerchantID, 43: m.NameLocation, 49: bandeira.CurrencyBRL,
	} {
		if v != "" {
			msg.Fields[n] = v
		}
	}
	switch k {
	case Refund:
		msg.Fields[3] = "200000"
	case Balance:
		msg.MTI = "0100"
		msg.Fields[3] = "310000"
		msg.Fields[4] = "000000000000"
	case Reversal:
		msg.MTI = "0400"
		msg.Fields[90] = fmt.Sprintf("0200%06d%010d%011s%011d", 0, 0, m.AcquirerID, 0)
		delete(msg.Fields, 14)
	case Installments:
		// Lojista in 2; the plan and count are patched per request.
		msg.Fields[48] = fmt.Sprintf("%s%c%02d", installmentsHeader, bandeira.PlanLojista, 2)
	}
	return msg
}
