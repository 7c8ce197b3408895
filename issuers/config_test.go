package issuers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

func TestDefaultConfig(t *testing.T) {
	t.Run("is valid and holds the BIN table of README.md", func(t *testing.T) {
		c := issuers.DefaultConfig()
		require.NoError(t, c.Validate())
		require.Equal(t, uint64(2020), c.Seed)
		require.Equal(t, 10_000, c.CardsPerBIN)
		require.Equal(t, bandeira.Amount(500_000), c.MaxTransactionAmount)
		require.Equal(t, 2*time.Second, c.SlowDelay)
		var rows []string
		for _, b := range c.Banks {
			for _, r := range b.BINs {
				rows = append(rows, strings.Join([]string{b.Name, b.InstitutionID, string(r.Brand), string(r.Product), r.BIN}, " "))
			}
		}
		require.Equal(t, []string{
			"bancodobrasil 001 visa credit 40000101",
			"bancodobrasil 001 visa debit 40000102",
			"bancodobrasil 001 mastercard credit 51000101",
			"nubank 260 mastercard credit 52600101",
			"nubank 260 mastercard debit 52600102",
			"nubank 260 mastercard prepaid 52600103",
			"sicredi 748 visa credit 47480101",
			"sicredi 748 visa debit 47480102",
			"sicredi 748 mastercard debit 55748102",
		}, rows)
	})
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *issuers.Config)
		wantKey string
	}{
		{"rejects zero cards per BIN", func(c *issuers.Config) { c.CardsPerBIN = 0 }, "cards_per_bin"},
		{"rejects more than ten million cards per BIN", func(c *issuers.Config) { c.CardsPerBIN = 10_000_001 }, "cards_per_bin"},
		{"rejects a negative transaction limit", func(c *issuers.Config) { c.MaxTransactionAmount = -1 }, "max_transaction_amount"},
		{"rejects a negative slow delay", func(c *issuers.Config) { c.SlowDelay = -time.Second }, "slow_delay"},
		{"rejects zero PIN tries", func(c *issuers.Config) { c.PINTries = 0 }, "pin_tries"},
		{"rejects a negative balance range", func(c *issuers.Config) { c.DebitBalance.Min = -1 }, "debit_balance"},
		{"rejects an inverted limit range", func(c *issuers.Config) { c.CreditLimit = issuers.AmountRange{Min: 10, Max: 5} }, "credit_limit"},
		{"rejects no banks", func(c *issuers.Config) { c.Banks = nil }, "banks is empty"},
		{"rejects a bank name with capitals", func(c *issuers.Config) { c.Banks[0].Name = "Itau" }, "banks[0].name"},
		{"rejects a bank name with a slash", func(c *issuers.Config) { c.Banks[0].Name = "../itau" }, "banks[0].name"},
		{"rejects a repeated bank name", func(c *issuers.Config) { c.Banks[1].Name = issuers.BancoDoBrasil }, "repeats"},
		{"rejects a non-numeric institution ID", func(c *issuers.Config) { c.Banks[0].InstitutionID = "BB" }, "institution_id"},
		{"rejects a bank without BINs", func(c *issuers.Config) { c.Banks[2].BINs = nil }, "banks[2].bins is empty"},
		{"rejects a five-digit BIN", func(c *issuers.Config) { c.Banks[0].BINs[0].BIN = "40000" }, "banks[0].bins[0]: bin"},
		{"rejects a nine-digit BIN", func(c *issuers.Config) { c.Banks[0].BINs[0].BIN = "400001019" }, "is not 6-8 digits"},
		{"rejects a BIN with letters", func(c *issuers.Config) { c.Banks[0].BINs[0].BIN = "4000A101" }, "is not 6-8 digits"},
		{"rejects a repeated BIN across banks", func(c *issuers.Config) { c.Banks[1].BINs[0].BIN = "40000101" }, "overlaps"},
		{"rejects a BIN prefix of another", func(c *issuers.Config) {
			c.Banks[2].BINs[0] = issuers.BINConfig{BIN: "400001", Brand: bandeira.Visa, Product: bandeira.Debit}
		}, "overlaps"},
		{"rejects a brand that does not match the BIN", func(c *issuers.Config) { c.Banks[0].BINs[0].Brand = bandeira.Mastercard }, "brand"},
		{"rejects a BIN of no known brand", func(c *issuers.Config) {
			c.Banks[0].BINs[0] = issuers.BINConfig{BIN: "60000101", Brand: "elo", Product: bandeira.Debit}
		}, "brand"},
		{"rejects an unknown product", func(c *issuers.Config) { c.Banks[0].BINs[0].Product = "gift" }, "product"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := issuers.DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			require.ErrorIs(t, err, issuers.ErrInvalidConfig)
			require.Contains(t, err.Error(), tt.wantKey)
		})
	}

	t.Run("accepts a six-digit BIN and a zero transaction limit", func(t *testing.T) {
		c := issuers.DefaultConfig()
		c.Banks[0].BINs[0].BIN = "411111"
		c.MaxTransactionAmount = 0
		require.NoError(t, c.Validate())
	})
}

func TestConfigYAML(t *testing.T) {
	t.Run("decodes snake_case keys and durations over the defaults", func(t *testing.T) {
		c := issuers.DefaultConfig()
		doc := "seed: 7\ncards_per_bin: 50\nslow_delay: 5s\nmax_transaction_amount: 100000\n" +
			"credit_limit: {min: 0, max: 100}\nbanks:\n- name: nubank\n  institution_id: \"260\"\n" +
			"  bins:\n  - {bin: \"52600101\", brand: mastercard, product: credit}\n"
		dec := yaml.NewDecoder(strings.NewReader(doc))
		dec.KnownFields(true)
		require.NoError(t, dec.Decode(&c))
		require.NoError(t, c.Validate())
		require.Equal(t, uint64(7), c.Seed)
		require.Equal(t, 5*time.Second, c.SlowDelay)
		require.Equal(t, issuers.AmountRange{Min: 0, Max: 100}, c.CreditLimit)
		require.Len(t, c.Banks, 1)
		require.Equal(t, issuers.BINConfig{BIN: "52600101", Brand: bandeira.Mastercard, Product: bandeira.Credit}, c.Banks[0].BINs[0])
	})
}
