package issuers

import (
	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// Card derivation. Every card attribute is a pure function of (seed, BIN, serial) through
// SplitMix64, written out here so the cards never change with the Go version:
//
//	h      = mix(seed XOR mix(BIN<<32 | serial))
//	expiry = from mix(h+1): 20YY/MM with YY in 29..32 (2022..2025 for "expired" cards)
//	CVV2   = mix(h+2) mod 1000, PIN = mix(h+3) mod 10000
//	money  = range.Min + 100 × (mix(h+4) mod ((range.Max−range.Min)/100 + 1))
//
// "insufficient-funds" cards open with R$ 1.00 instead.

// expiryReferenceYY is the first expiry year of regular cards: three years after the
// fixed reference 2026-01, so published cards stay valid until at least 2029.
const expiryReferenceYY = 29

// insufficientFundsAmount is the opening balance or limit of insufficient-funds cards.
const insufficientFundsAmount bandeira.Amount = 100

// mix is the SplitMix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// binRow is a BIN row prepared for generation and lookup.
type binRow struct {
	bin     string
	binNum  uint64
	issuer  string
	brand   bandeira.Brand
	product bandeira.Product
	regular uint32 // regular serials are 0..regular-1
	base    uint32 // first scenario serial
}

// cardData is a card in numeric form: what a bank needs to decide, without allocating.
type cardData struct {
	row      *binRow
	serial   uint32
	scenario scenario
	expiry   uint16 // YYMM as a number, e.g. 2903
	cvv      uint16
	pin      uint16
	opening  ledger.Opening
}

// generator derives cards from a seed.
type generator struct {
	seed                    uint64
	cardsPerBIN             int
	debit, prepaid, credits AmountRange
}

func newGenerator(cfg Config) *generator {
	return &generator{seed: cfg.Seed, cardsPerBIN: cfg.CardsPerBIN,
		debit: cfg.DebitBalance, prepaid: cfg.PrepaidBalance, credits: cfg.CreditLimit}
}

// rows prepares every valid BIN row of cfg in order; rows with malformed BINs are skipped.
func (g *generator) rows(cfg Config) []binRow {
	var out []binRow
	for _, b := range cfg.Banks {
		out = append(out, g.bankRows(b)...)
	}
	return out
}

func (g *generator) bankRows(b BankConfig) []binRow {
	var out []binRow
	for _, r := range b.BINs {
		base := ScenarioSerialBase(r.BIN)
		if base == 0 || !bandeira.IsDigits(r.BIN) {
			continue
		}
		var n uint64
		for i := 0; i < len(r.BIN); i++ {
			n = n*10 + uint64(r.BIN[i]-'0')
		}
		regular := uint32(min(max(g.cardsPerBIN, 0), MaxCardsPerBIN, int(base)))
		out = append(out, binRow{bin: r.BIN, binNum: n, issuer: b.Name, brand: r.Brand,
			product: r.Product, regular: regular, base: base})
	}
	return out
}

// derive returns the card with the given serial of row r. The caller has checked that the
// serial is regular or in the scenario block.
func (g *generator) derive(r *binRow, serial uint32) cardData {
	d := cardData{row: r, serial: serial}
	if serial >= r.base {
		d.scenario = scenario(serial - r.base + 1)
	}
	h := mix(g.seed ^ mix(r.binNum<<32|uint64(serial)))
	e := mix(h + 1)
	yy := expiryReferenceYY + e%4
	if d.scenario == expired {
		yy = 22 + e%4
	}
	d.expiry = uint16(yy*100 + 1 + (e/4)%12)
	d.cvv = uint16(mix(h+2) % 1000)
	d.pin = uint16(mix(h+3) % 10000)
	d.opening = g.opening(r.product, d.scenario, mix(h+4))
	return d
}

func (g *generator) opening(p bandeira.Product, s scenario, f uint64) ledger.Opening {
	rng := g.debit
	switch p {
	case bandeira.Credit:
		rng = g.credits
	case bandeira.Prepaid:
		rng = g.prepaid
	}
	amt := rng.Min
	if steps := (rng.Max - rng.Min) / 100; steps > 0 {
		amt += 100 * bandeira.Amount(f%uint64(steps+1))
	}
	if s == insufficientFunds {
		amt = insufficientFundsAmount
	}
	if p == bandeira.Credit {
		return ledger.Opening{CreditLimit: amt}
	}
	return ledger.Opening{Balance: amt}
}

// lookup finds the card behind a PAN among rows: 16 digits, Luhn-valid, a known BIN, and a
// serial that is regular or names a scenario.
func (g *generator) lookup(rows []binRow, pan string) (cardData, bool) {
	if len(pan) != 16 || !bandeira.LuhnValid(pan) {
		return cardData{}, false
	}
	for i := range rows {
		r := &rows[i]
		if pan[:len(r.bin)] != r.bin {
			continue
		}
		var serial uint64
		for j := len(r.bin); j < 15; j++ {
			serial = serial*10 + uint64(pan[j]-'0')
		}
		if serial < uint64(r.regular) || (serial >= uint64(r.base) && serial < uint64(r.base)+uint64(len(scenarioNames))) {
			return g.derive(r, uint32(serial)), true
		}
		return cardData{}, false
	}
	return cardData{}, false
}

// ref names the card's ledger account.
func (d *cardData) ref() ledger.Ref {
	return ledger.Ref{ID: ledger.AccountID{BIN: d.row.bin, Serial: d.serial}, Opening: d.opening}
}
