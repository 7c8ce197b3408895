package issuers

import (
	"iter"

	"github.com/bandeira/bandeira"
)

// Card is one generated test card, as `bandeira cards` lists it. Expiry is YYMM; CVV2 is 3
// digits and PIN 4 digits. Available is the opening balance (debit, prepaid) or credit limit
// (credit), in centavos. Scenario is "" for a regular card.
type Card struct {
	PAN       bandeira.PAN
	Expiry    string
	CVV2      string
	PIN       string
	Issuer    string
	Brand     bandeira.Brand
	Product   bandeira.Product
	Available bandeira.Amount
	Scenario  string
}

// Cards returns every card of cfg: for each bank and BIN row in order, the regular cards by
// serial, then the row's scenario cards. cfg should be valid; rows Validate would reject
// are skipped. The result has CardsPerBIN+9 cards per row, so keep CardsPerBIN modest or use
// AllCards.
func Cards(cfg Config) []Card {
	g := newGenerator(cfg)
	n := 0
	for _, r := range g.rows(cfg) {
		n += int(r.regular) + len(scenarioNames)
	}
	out := make([]Card, 0, n)
	for _, r := range g.rows(cfg) {
		out = g.appendCards(out, &r, 0, r.regular)
		out = g.appendCards(out, &r, r.base, r.base+uint32(len(scenarioNames)))
	}
	return out
}

// ScenarioCards returns the scenario cards of cfg: for each bank and BIN row, one card per
// scenario in the order of Scenarios.
func ScenarioCards(cfg Config) []Card {
	g := newGenerator(cfg)
	var out []Card
	for _, r := range g.rows(cfg) {
		out = g.appendCards(out, &r, r.base, r.base+uint32(len(scenarioNames)))
	}
	return out
}

// AllCards yields the cards of Cards one at a time, generating them in chunks, so that
// listing millions of cards needs little memory.
func AllCards(cfg Config) iter.Seq[Card] {
	return func(yield func(Card) bool) {
		g := newGenerator(cfg)
		buf := make([]Card, 0, 1024)
		for _, r := range g.rows(cfg) {
			for _, span := range [][2]uint32{{0, r.regular}, {r.base, r.base + uint32(len(scenarioNames))}} {
				for lo := span[0]; lo < span[1]; lo += 1024 {
					buf = g.appendCards(buf[:0], &r, lo, min(lo+1024, span[1]))
					for _, c := range buf {
						if !yield(c) {
							return
						}
					}
				}
			}
		}
	}
}

// cardTextLen is the text of one card: PAN 16 + expiry 4 + CVV2 3 + PIN 4.
const cardTextLen = 16 + 4 + 3 + 4

// appendCards appends the cards of serials [lo, hi) of row r. Their strings share one
// allocation.
func (g *generator) appendCards(out []Card, r *binRow, lo, hi uint32) []Card {
	if hi <= lo {
		return out
	}
	first := len(out)
	buf := make([]byte, 0, int(hi-lo)*cardTextLen)
	for s := lo; s < hi; s++ {
		d := g.derive(r, s)
		buf = d.appendText(buf)
		out = append(out, Card{Issuer: r.issuer, Brand: r.brand, Product: r.product,
			Available: d.opening.Balance + d.opening.CreditLimit, Scenario: d.scenario.String()})
	}
	text := string(buf)
	for i := first; i < len(out); i++ {
		t := text[(i-first)*cardTextLen:][:cardTextLen]
		c := &out[i]
		c.PAN, c.Expiry, c.CVV2, c.PIN = bandeira.PAN(t[:16]), t[16:20], t[20:23], t[23:27]
	}
	return out
}

// appendText appends PAN, expiry, CVV2 and PIN as digits.
func (d *cardData) appendText(b []byte) []byte {
	start := len(b)
	b = append(b, d.row.bin...)
	b = appendPadded(b, uint64(d.serial), serialWidth(d.row.bin))
	b = append(b, bandeira.LuhnCheckDigit(string(b[start:])))
	b = appendPadded(b, uint64(d.expiry), 4)
	b = appendPadded(b, uint64(d.cvv), 3)
	return appendPadded(b, uint64(d.pin), 4)
}

// appendPadded appends v in decimal, left-padded with zeros to width digits; v must fit.
func appendPadded(b []byte, v uint64, width int) []byte {
	start := len(b)
	for range width {
		b = append(b, '0')
	}
	for i := len(b) - 1; i >= start && v > 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}
