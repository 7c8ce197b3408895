package issuers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
)

// The issuers of the default configuration. Any other name bandeira.IsPartyName accepts
// configures a new issuer: adding a bank is configuration, not code.
const (
	BancoDoBrasil = "bancodobrasil"
	Nubank        = "nubank"
	Sicredi       = "sicredi"
)

// MaxCardsPerBIN is the largest Config.CardsPerBIN that Validate accepts.
const MaxCardsPerBIN = 10_000_000

// ErrInvalidConfig reports a Config that Validate rejects.
var ErrInvalidConfig = errors.New("issuers: invalid config")

// Config configures the simulated issuer banks and the cards they issue. Every card is a
// pure function of (Seed, BIN, serial), so the same Config yields the same cards anywhere.
type Config struct {
	// Seed derives every card's expiry, CVV2, PIN and opening balance or limit.
	Seed uint64 `yaml:"seed"`
	// CardsPerBIN is the number of regular cards per BIN row, serials 0..CardsPerBIN−1
	// (1..MaxCardsPerBIN; serials in the scenario block at the top are never regular).
	CardsPerBIN int `yaml:"cards_per_bin"`
	// Banks are the issuers and their BIN rows. Networks derive their routing tables
	// from these rows.
	Banks []BankConfig `yaml:"banks"`
	// MaxTransactionAmount is the per-transaction limit in centavos (purchase, cash,
	// refund); above it a bank declines 61. 0 means no limit.
	MaxTransactionAmount bandeira.Amount `yaml:"max_transaction_amount"`
	// SlowDelay is how long the "slow" scenario cards take to answer.
	SlowDelay time.Duration `yaml:"slow_delay"`
	// PINTries is the number of consecutive wrong PINs after which a card answers 75.
	PINTries int `yaml:"pin_tries"`
	// DebitBalance, PrepaidBalance and CreditLimit are the ranges (centavos, whole reais
	// steps) that opening balances and credit limits are drawn from.
	DebitBalance   AmountRange `yaml:"debit_balance"`
	PrepaidBalance AmountRange `yaml:"prepaid_balance"`
	CreditLimit    AmountRange `yaml:"credit_limit"`
	// Ledger configures the durable books that `bandeira run` keeps for each bank under
	// <data_dir>/issuers/<bank>.db (package issuers/books).
	Ledger books.Config `yaml:"ledger"`
}

// BankConfig is one issuer bank.
type BankConfig struct {
	// Name is the bank's short name, e.g. nubank: 1-32 lowercase letters, digits, '-' or
	// '_' (it names the bank's books file, node role and metric label).
	Name string `yaml:"name"`
	// InstitutionID is the bank's institution code (1–11 digits), e.g. "260".
	InstitutionID string `yaml:"institution_id"`
	// BINs are the bank's BIN rows.
	BINs []BINConfig `yaml:"bins"`
}

// BINConfig is one row of the BIN table: a 6- to 8-digit BIN with its brand and product.
// Cards of the row are BIN + serial + Luhn digit, 16 digits in all.
type BINConfig struct {
	BIN     string           `yaml:"bin"`
	Brand   bandeira.Brand   `yaml:"brand"`
	Product bandeira.Product `yaml:"product"`
}

// AmountRange is an inclusive range of centavos.
type AmountRange struct {
	Min bandeira.Amount `yaml:"min"`
	Max bandeira.Amount `yaml:"max"`
}

// DefaultConfig returns the fictitious BIN table of README.md ("Test cards") with 10,000
// cards per row, seed 2020, a R$ 5,000.00 per-transaction limit and a 2 s slow delay.
// Sicredi's Mastercard debit BIN is 55748102 rather than 5748… (its bank code 748 after the
// brand digit, as its Visa BINs have it): 57 is outside the Mastercard ranges (51–55,
// 2221–2720), so such a row would fail the brand check of Validate.
func DefaultConfig() Config {
	row := func(bin string, b bandeira.Brand, p bandeira.Product) BINConfig {
		return BINConfig{BIN: bin, Brand: b, Product: p}
	}
	v, mc := bandeira.Visa, bandeira.Mastercard
	return Config{
		Seed:        2020,
		CardsPerBIN: 10_000,
		Banks: []BankConfig{
			{Name: BancoDoBrasil, InstitutionID: "001", BINs: []BINConfig{
				row("40000101", v, bandeira.Credit), row("40000102", v, bandeira.Debit),
				row("51000101", mc, bandeira.Credit)}},
			{Name: Nubank, InstitutionID: "260", BINs: []BINConfig{
				row("52600101", mc, bandeira.Credit), row("52600102", mc, bandeira.Debit),
				row("52600103", mc, bandeira.Prepaid)}},
			{Name: Sicredi, InstitutionID: "748", BINs: []BINConfig{
				row("47480101", v, bandeira.Credit), row("47480102", v, bandeira.Debit),
				row("55748102", mc, bandeira.Debit)}},
		},
		MaxTransactionAmount: 500_000,
		SlowDelay:            2 * time.Second,
		PINTries:             3,
		DebitBalance:         AmountRange{Min: 50_000, Max: 2_000_000},
		PrepaidBalance:       AmountRange{Min: 5_000, Max: 200_000},
		CreditLimit:          AmountRange{Min: 100_000, Max: 3_000_000},
		Ledger:               books.DefaultConfig(),
	}
}

// Validate reports the first problem with c, wrapping ErrInvalidConfig and naming the
// YAML key.
func (c Config) Validate() error {
	if err := c.validateScalars(); err != nil {
		return fmt.Errorf("validating issuers config: %w", err)
	}
	if err := c.validateBanks(); err != nil {
		return fmt.Errorf("validating issuers config: %w", err)
	}
	if err := c.Ledger.Validate(); err != nil {
		return fmt.Errorf("validating issuers config: ledger.%w", err)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalidConfig)
}

func (c Config) validateScalars() error {
	switch {
	case c.CardsPerBIN < 1 || c.CardsPerBIN > MaxCardsPerBIN:
		return invalid("cards_per_bin %d outside 1..%d", c.CardsPerBIN, MaxCardsPerBIN)
	case c.MaxTransactionAmount < 0:
		return invalid("max_transaction_amount %d below 0", c.MaxTransactionAmount)
	case c.SlowDelay < 0:
		return invalid("slow_delay %s below 0", c.SlowDelay)
	case c.PINTries < 1 || c.PINTries > 10:
		return invalid("pin_tries %d outside 1..10", c.PINTries)
	}
	for _, r := range []struct {
		key string
		r   AmountRange
	}{{"debit_balance", c.DebitBalance}, {"prepaid_balance", c.PrepaidBalance}, {"credit_limit", c.CreditLimit}} {
		if r.r.Min < 0 || r.r.Max < r.r.Min {
			return invalid("%s needs 0 <= min <= max, got min %d max %d", r.key, r.r.Min, r.r.Max)
		}
	}
	return nil
}

func (c Config) validateBanks() error {
	if len(c.Banks) == 0 {
		return invalid("banks is empty")
	}
	names := map[string]bool{}
	var bins []string
	for i, b := range c.Banks {
		switch {
		case !bandeira.IsPartyName(b.Name):
			return invalid("banks[%d].name %q is not 1-32 lowercase letters, digits, '-' or '_'", i, b.Name)
		case names[b.Name]:
			return invalid("banks[%d].name %q repeats", i, b.Name)
		case len(b.InstitutionID) > 11 || !bandeira.IsDigits(b.InstitutionID):
			return invalid("banks[%d].institution_id %q is not 1-11 digits", i, b.InstitutionID)
		case len(b.BINs) == 0:
			return invalid("banks[%d].bins is empty", i)
		}
		names[b.Name] = true
		for j, r := range b.BINs {
			if err := r.validate(bins); err != nil {
				return fmt.Errorf("banks[%d].bins[%d]: %w", i, j, err)
			}
			bins = append(bins, r.BIN)
		}
	}
	return nil
}

// validate checks one row against the BINs seen so far. BINs must not overlap (one a
// prefix of another): a card number must name exactly one row.
func (r BINConfig) validate(seen []string) error {
	if len(r.BIN) < 6 || len(r.BIN) > 8 || !bandeira.IsDigits(r.BIN) {
		return invalid("bin %q is not 6-8 digits", r.BIN)
	}
	for _, s := range seen {
		if strings.HasPrefix(s, r.BIN) || strings.HasPrefix(r.BIN, s) {
			return invalid("bin %s overlaps bin %s", r.BIN, s)
		}
	}
	if got := bandeira.BrandOf(bandeira.PAN(r.BIN)); got == "" || got != r.Brand {
		return invalid("brand %q does not match bin %s (prefix says %q)", r.Brand, r.BIN, got)
	}
	if !r.Product.Valid() {
		return invalid("product %q is not debit, credit or prepaid", r.Product)
	}
	return nil
}

// bank returns the named bank's config.
func (c Config) bank(name string) (BankConfig, bool) {
	for _, b := range c.Banks {
		if b.Name == name {
			return b, true
		}
	}
	return BankConfig{}, false
}
