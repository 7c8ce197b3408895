package loadtest

import (
	"fmt"
	"time"

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

// amounts are the purchase and refund amounts drawn at random, in centavos (R$ 0.50 to
// R$ 19.90): small, so that a long run drains balances slowly.
var amounts = [...]uint64{50, 100, 250, 500, 990, 1000, 1500, 1990}

// declineExtra is added to decline purchases so that they exceed an insufficient-funds
// card's R$ 1.00.
const declineExtra = 10_000

// plan is the read-only part of the traffic, shared by every connection: the kind
// picker, card pools by kind and the packed templates.
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
			return nil, fmt.Errorf("the mix has %s but no card suits it", kind)
		}
		if err := p.buildTemplates(kind, m); err != nil {
			return nil, err
		}
	}
	return p, nil
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
	}
	return msg
}

// clockFields are the time-dependent field values, recomputed once a second.
type clockFields struct {
	unix      int64
	f7        [10]byte // MMDDhhmmss GMT
	localTime [6]byte  // hhmmss in Brasília
	localDate [4]byte  // MMDD in Brasília
	rrnPrefix [6]byte  // last digit of the year, day of the year, hour (GMT)
}

// brasilia is Brazil's official time (UTC-3).
var brasilia = time.FixedZone("BRT", -3*60*60)

// update recomputes the fields when now is in a new second.
func (c *clockFields) update(now time.Time) {
	if s := now.Unix(); s == c.unix {
		return
	} else {
		c.unix = s
	}
	utc, local := now.UTC(), now.In(brasilia)
	copy(c.f7[:], utc.Format("0102150405"))
	copy(c.localTime[:], local.Format("150405"))
	copy(c.localDate[:], local.Format("0102"))
	copy(c.rrnPrefix[:], fmt.Sprintf("%d%03d%02d", utc.Year()%10, utc.YearDay(), utc.Hour()))
}

// approval is an approved purchase a later reversal may undo.
type approval struct {
	card   int32
	amount uint64
	stan   uint32
	f7     [10]byte
}

// traffic is one connection's request builder: its random state, terminal and the
// approvals its reversals draw from. It is used by one goroutine at a time.
type traffic struct {
	plan     *plan
	rng      uint64
	terminal [8]byte
	recent   []approval // ring of approved purchases, newest at head-1
	head, n  int
}

// maxRecent bounds the approvals a connection remembers for reversals.
const maxRecent = 1024

func newTraffic(p *plan, conn int, seed uint64) *traffic {
	t := &traffic{plan: p, rng: seed*0x9E3779B97F4A7C15 + uint64(conn)*0xBF58476D1CE4E5B9 + 1,
		recent: make([]approval, maxRecent)}
	copy(t.terminal[:], fmt.Sprintf("LT%06d", conn%1_000_000))
	return t
}

// next returns a uniform random number (splitmix64).
func (t *traffic) next() uint64 {
	t.rng += 0x9E3779B97F4A7C15
	z := t.rng
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// remember keeps an approved purchase for a later reversal.
func (t *traffic) remember(a approval) {
	t.recent[t.head] = a
	t.head = (t.head + 1) % maxRecent
	t.n = min(t.n+1, maxRecent)
}

// takeApproval removes and returns the newest remembered approval.
func (t *traffic) takeApproval() (approval, bool) {
	if t.n == 0 {
		return approval{}, false
	}
	t.head = (t.head - 1 + maxRecent) % maxRecent
	t.n--
	return t.recent[t.head], true
}

// sent describes a request appended to a buffer, for its slot.
type sent struct {
	kind   Kind
	card   int32
	amount uint64
}

// appendRequest appends one request frame of a kind drawn from the mix, with the given
// STAN, to buf.
func (t *traffic) appendRequest(buf []byte, stan uint32, clk *clockFields) ([]byte, sent) {
	p := t.plan
	k := p.picker.pick(t.next())
	var orig approval
	if k == Reversal {
		var ok bool
		if orig, ok = t.takeApproval(); !ok {
			k = Purchase
		}
	}
	s := sent{kind: k, card: -1}
	var tp *frameTemplate
	switch k {
	case Echo:
		tp = p.tmpl[Echo][0]
	case Reversal:
		s.card, s.amount = orig.card, orig.amount
		tp = p.tmpl[Reversal][len(p.cards[s.card].PAN)]
	default:
		pool := p.pools[k]
		s.card = pool[t.next()%uint64(len(pool))]
		if k != Balance {
			s.amount = amounts[t.next()%uint64(len(amounts))]
		}
		if k == Decline {
			s.amount += declineExtra
		}
		tp = p.tmpl[k][len(p.cards[s.card].PAN)]
	}
	buf, base := tp.appendTo(buf)
	tp.patch(buf, base, varTime, clk.f7[:])
	tp.patchNumber(buf, base, varSTAN, uint64(stan))
	if k == Echo {
		return buf, s
	}
	c := &p.cards[s.card]
	tp.patchString(buf, base, varPAN, c.PAN.Digits())
	tp.patchString(buf, base, varExpiry, c.Expiry)
	tp.patchNumber(buf, base, varAmount, s.amount)
	tp.patch(buf, base, varLocalTime, clk.localTime[:])
	tp.patch(buf, base, varLocalDate, clk.localDate[:])
	tp.patch(buf, base, varTerminal, t.terminal[:])
	if off := tp.off[varRRN]; off >= 0 {
		copy(buf[base+off:], clk.rrnPrefix[:])
		putDigits(buf[base+off+6:base+off+12], uint64(stan))
	}
	if k == Reversal {
		o := buf[base+tp.off[varOriginal]:]
		copy(o, "0200")
		putDigits(o[4:10], uint64(orig.stan))
		copy(o[10:20], orig.f7[:])
	}
	return buf, s
}
