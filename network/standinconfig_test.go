package network

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/bandeira/bandeira"
)

func TestStandInConfig(t *testing.T) {
	t.Run("defaults to purchases up to R$ 200.00 and R$ 500.00 a card a day, 61 and 05", func(t *testing.T) {
		c := DefaultStandIn()
		require.NoError(t, c.Validate())
		require.Equal(t, StandInRules{Enabled: true, Types: []string{"purchase"},
			Products:         []bandeira.Product{"debit", "credit", "prepaid"},
			TransactionLimit: 20000, DailyLimit: 50000, OverLimitCode: "61", NotAllowedCode: "05"}, c.For("nubank"))
	})
	t.Run("reads defaults and per-issuer overrides from YAML", func(t *testing.T) {
		c := DefaultConfig()
		require.NoError(t, yaml.Unmarshal([]byte(`
stand_in:
  daily_limit: 80000
  issuers:
    nubank: {enabled: false}
    sicredi: {transaction_types: [purchase, cash], transaction_limit: 5000, over_limit_code: "N4"}
`), &c))
		require.NoError(t, c.Validate())
		require.False(t, c.StandIn.For("nubank").Enabled)
		require.Equal(t, bandeira.Amount(80000), c.StandIn.For("nubank").DailyLimit, "an override keeps the defaults it does not set")
		s := c.StandIn.For("sicredi")
		require.True(t, s.Enabled)
		require.Equal(t, []string{"purchase", "cash"}, s.Types)
		require.Equal(t, bandeira.Amount(5000), s.TransactionLimit)
		require.Equal(t, bandeira.Amount(80000), s.DailyLimit)
		require.Equal(t, bandeira.ResponseCode("N4"), s.OverLimitCode)
		require.Equal(t, bandeira.ResponseCode("05"), s.NotAllowedCode)
		require.Equal(t, c.StandIn.StandInRules, c.StandIn.For("bancodobrasil"), "an issuer without an override gets the defaults")
	})
	t.Run("accepts stand-in off without limits", func(t *testing.T) {
		require.NoError(t, StandInConfig{}.Validate())
	})
	zero, approve, unavailable := bandeira.Amount(0), bandeira.Approved, bandeira.IssuerUnavailable
	lower := bandeira.ResponseCode("n4")
	bad := []struct {
		name   string
		change func(*StandInConfig)
		want   string
	}{
		{"an unknown transaction type", func(c *StandInConfig) { c.Types = []string{"refund"} },
			`stand_in.transaction_types: "refund" is not one of purchase, cash, account_funding`},
		{"an unknown product", func(c *StandInConfig) { c.Products = []bandeira.Product{"gold"} },
			`stand_in.products: "gold" is not one of debit, credit, prepaid`},
		{"a zero transaction limit", func(c *StandInConfig) { c.TransactionLimit = 0 }, "stand_in.transaction_limit 0: must be above 0"},
		{"a negative daily limit", func(c *StandInConfig) { c.DailyLimit = -1 }, "stand_in.daily_limit -1: must be above 0"},
		{"an approval as the over-limit code", func(c *StandInConfig) { c.OverLimitCode = approve }, `stand_in.over_limit_code "00": want a decline`},
		{"91 as the not-allowed code", func(c *StandInConfig) { c.NotAllowedCode = unavailable }, `stand_in.not_allowed_code "91"`},
		{"a lower-case code", func(c *StandInConfig) { c.NotAllowedCode = lower }, `stand_in.not_allowed_code "n4"`},
		{"an override's bad limit, naming the issuer", func(c *StandInConfig) {
			c.Issuers = map[string]StandInOverride{"nubank": {DailyLimit: &zero}}
		}, "stand_in.issuers.nubank.daily_limit 0: must be above 0"},
		{"an override for a name no issuer can have", func(c *StandInConfig) {
			c.Issuers = map[string]StandInOverride{"Nu Bank": {}}
		}, "stand_in.issuers.Nu Bank: not an issuer name"},
	}
	for _, tt := range bad {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			c := DefaultStandIn()
			tt.change(&c)
			require.ErrorContains(t, c.Validate(), tt.want)
		})
	}
}
