package loadtest

import (
	"fmt"
	"time"

	"github.com/bandeira/bandeira"
)

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
	plan   bandeira.InstallmentPlan // Installments only
	count  uint8                    // Installments only: the number of installments
}

// The installment counts the Installments kind draws from (docs/economics.md,
// "Installments").
const (
	maxLojistaInstallments = 12
	maxEmissorInstallments = 24
)

// appendRequest appends one request frame of a kind drawn from the mix, with the given
// STAN, to buf.
func (t *traffic) appendRequest(buf []byte, stan uint32, clk *clockFields) ([]byte, sent) {
	s, orig := t.draw()
	tp := t.plan.template(s)
	buf, base := tp.appendTo(buf)
	tp.patch(buf, base, varTime, clk.f7[:])
	tp.patchNumber(buf, base, varSTAN, uint64(stan))
	if s.kind == Echo {
		return buf, s
	}
	c := &t.plan.cards[s.card]
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
	switch s.kind {
	case Reversal:
		o := buf[base+tp.off[varOriginal]:]
		copy(o, "0200")
		putDigits(o[4:10], uint64(orig.stan))
		copy(o[10:20], orig.f7[:])
	case Installments:
		o := buf[base+tp.off[varInstallments]:]
		o[0] = byte(s.plan)
		putDigits(o[1:3], uint64(s.count))
	}
	return buf, s
}

// draw picks the next request from the mix: its kind, card, amount and installment plan,
// and for a reversal the approval it undoes.
func (t *traffic) draw() (sent, approval) {
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
	switch k {
	case Echo:
	case Reversal:
		s.card, s.amount = orig.card, orig.amount
	default:
		pool := p.pools[k]
		s.card = pool[t.next()%uint64(len(pool))]
		if k != Balance {
			s.amount = amounts[t.next()%uint64(len(amounts))]
		}
		switch k {
		case Decline:
			s.amount += declineExtra
		case Installments:
			s.plan, s.count = t.installments()
		}
	}
	return s, orig
}

// installments draws an installment plan: lojista or emissor in equal shares, and a count
// uniform over the plan's range (2–12 lojista, 2–24 emissor).
func (t *traffic) installments() (bandeira.InstallmentPlan, uint8) {
	r := t.next()
	if r&1 == 0 {
		return bandeira.PlanLojista, 2 + uint8((r>>1)%(maxLojistaInstallments-1))
	}
	return bandeira.PlanEmissor, 2 + uint8((r>>1)%(maxEmissorInstallments-1))
}

// template returns the template of a drawn request: its kind's, for its card's PAN length.
func (p *plan) template(s sent) *frameTemplate {
	if s.kind == Echo {
		return p.tmpl[Echo][0]
	}
	return p.tmpl[s.kind][len(p.cards[s.card].PAN)]
}
