package loadtest

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is one kind of request in the traffic mix.
type Kind uint8

// The request kinds, by their names in --mix.
const (
	// Purchase is a 0200 purchase (processing code 000000) on a regular debit, credit or
	// prepaid card of any issuer and brand.
	Purchase Kind = iota
	// Refund is a 0200 refund (processing code 200000) on a regular card.
	Refund
	// Reversal is a 0400 reversing an earlier approved purchase of the same connection,
	// with field 90 naming it; while there is none yet, a purchase is sent instead.
	Reversal
	// Balance is a 0100 balance inquiry (processing code 310000, amount zero).
	Balance
	// Decline is a 0200 purchase on a scenario card that always declines (insufficient
	// funds, expired, lost, stolen, blocked).
	Decline
	// Echo is a 0800 network management echo (field 70 = 301).
	Echo
	// Installments is a 0200 purchase (processing code 000000) on a regular credit card
	// in installments: field 48 tag IP with a plan and count drawn from the seed, lojista
	// (merchant-financed) 2–12 or emissor (issuer-financed) 2–24, in equal shares.
	Installments
	numKinds
)

var kindNames = [numKinds]string{"purchase", "refund", "reversal", "balance", "decline", "echo", "installments"}

// String returns the kind's name in --mix.
func (k Kind) String() string {
	if k >= numKinds {
		return "unknown"
	}
	return kindNames[k]
}

// Kinds returns every kind in order.
func Kinds() []Kind {
	out := make([]Kind, numKinds)
	for i := range out {
		out[i] = Kind(i)
	}
	return out
}

// Mix is the weight of each kind; the share of a kind is its weight over the total.
type Mix [numKinds]int

// DefaultMix is purchase=70,refund=5,reversal=5,balance=10,decline=10. It leaves out
// echo and installments: installments need credit cards, which a --cards file for another
// host may lack, and field 48 tag IP, which another host may not accept.
var DefaultMix = Mix{Purchase: 70, Refund: 5, Reversal: 5, Balance: 10, Decline: 10}

// ParseMix parses "purchase=70,refund=5,...". Kinds not named get weight 0; the total must
// be positive.
func ParseMix(s string) (Mix, error) {
	var m Mix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if !ok || err != nil || n < 0 || n > 1_000_000 {
			return Mix{}, fmt.Errorf("mix %q: want NAME=WEIGHT with a weight from 0 to 1000000", part)
		}
		k, ok := kindByName(strings.TrimSpace(name))
		if !ok {
			return Mix{}, fmt.Errorf("mix %q: unknown kind (want one of %s)", part, strings.Join(kindNames[:], ", "))
		}
		m[k] = n
	}
	if m.total() == 0 {
		return Mix{}, fmt.Errorf("mix %q: the weights add up to zero", s)
	}
	return m, nil
}

// String formats the mix as ParseMix reads it, omitting zero weights.
func (m Mix) String() string {
	var parts []string
	for k, w := range m {
		if w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", Kind(k), w))
		}
	}
	return strings.Join(parts, ",")
}

func (m Mix) total() int {
	t := 0
	for _, w := range m {
		t += w
	}
	return t
}

func kindByName(name string) (Kind, bool) {
	for i, n := range kindNames {
		if n == name {
			return Kind(i), true
		}
	}
	return 0, false
}

// picker draws kinds in proportion to a mix from a uniform random number.
type picker struct {
	cum   [numKinds]uint64
	total uint64
}

func newPicker(m Mix) picker {
	var p picker
	for k, w := range m {
		p.total += uint64(w)
		p.cum[k] = p.total
	}
	return p
}

// pick maps r (uniform over uint64) to a kind.
func (p *picker) pick(r uint64) Kind {
	x := r % p.total
	for k, c := range p.cum {
		if x < c {
			return Kind(k)
		}
	}
	return Purchase
}
