package issuers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

func TestBankTransfers(t *testing.T) {
	cfg := testConfig()

	t.Run("an 0200 account funding debits the sender and its reversal credits it back", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 0)
		pull := request(bandeira.MTIFinancial, "100000", c, 25_000, 1)
		res := authorize(t, b, pull)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Len(t, res.AuthCode, 6)
		require.Equal(t, bandeira.Balances{Ledger: c.Available - 25_000, Available: c.Available - 25_000, Currency: "986"}, balances(t, b, c))
		require.Equal(t, bandeira.Approved, authorize(t, b, reversalOf(pull, 2)).Code)
		require.Equal(t, c.Available, balances(t, b, c).Available)
	})
	t.Run("an 0100 account funding holds the amount", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 1)
		require.Equal(t, bandeira.Approved, authorize(t, b, request(bandeira.MTIAuthorization, "100000", c, 1_000, 1)).Code)
		require.Equal(t, bandeira.Balances{Ledger: c.Available, Available: c.Available - 1_000, Currency: "986"}, balances(t, b, c))
	})
	t.Run("an account funding beyond the balance is declined 51 and moves nothing", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", issuers.ScenarioInsufficientFunds, 0)
		require.Equal(t, bandeira.InsufficientFunds, authorize(t, b, request(bandeira.MTIFinancial, "100000", c, c.Available+1, 1)).Code)
		require.Equal(t, c.Available, balances(t, b, c).Available)
	})
	t.Run("an original credit credits the recipient with no funds check and its reversal debits it back", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600103", "", 0)
		push := request(bandeira.MTIFinancial, "260000", c, 40_000, 1)
		require.Equal(t, bandeira.Approved, authorize(t, b, push).Code)
		require.Equal(t, c.Available+40_000, balances(t, b, c).Ledger)
		require.Equal(t, bandeira.Approved, authorize(t, b, reversalOf(push, 2)).Code)
		require.Equal(t, c.Available, balances(t, b, c).Ledger)
	})
	t.Run("a retransmitted leg gets its first answer and posts once", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 2)
		pull := request(bandeira.MTIFinancial, "100000", c, 5_000, 1)
		first := authorize(t, b, pull)
		again := authorize(t, b, pull)
		require.Equal(t, first, again)
		require.Equal(t, c.Available-5_000, balances(t, b, c).Available)
	})
	rejected := []struct {
		name string
		a    func(c issuers.Card) bandeira.Authorization
		want bandeira.ResponseCode
	}{
		{"an original credit as an 0100", func(c issuers.Card) bandeira.Authorization {
			return request(bandeira.MTIAuthorization, "260000", c, 1_000, 1)
		}, bandeira.InvalidTransaction},
		{"an account funding of amount 0", func(c issuers.Card) bandeira.Authorization {
			return request(bandeira.MTIFinancial, "100000", c, 0, 1)
		}, bandeira.InvalidAmount},
		{"an original credit above the per-transaction limit", func(c issuers.Card) bandeira.Authorization {
			return request(bandeira.MTIFinancial, "260000", c, cfg.MaxTransactionAmount+1, 1)
		}, bandeira.ExceedsAmountLimit},
		{"an account funding on a blocked card", func(issuers.Card) bandeira.Authorization {
			return request(bandeira.MTIFinancial, "100000", card(t, cfg, "52600102", issuers.ScenarioBlocked, 0), 1_000, 1)
		}, bandeira.RestrictedCard},
	}
	for _, r := range rejected {
		t.Run("answers "+string(r.want)+" to "+r.name+" and moves nothing", func(t *testing.T) {
			b, _ := mustBank(t, issuers.Nubank, cfg)
			c := card(t, cfg, "52600102", "", 3)
			a := r.a(c)
			require.Equal(t, r.want, authorize(t, b, a).Code)
			require.Equal(t, c.Available, balances(t, b, c).Available)
		})
	}
}

func TestBankAccountVerification(t *testing.T) {
	cfg := testConfig()
	verification := func(c issuers.Card, stan int) bandeira.Authorization {
		a := request(bandeira.MTIAuthorization, "000000", c, 0, stan)
		a.Expiry, a.CVV2 = c.Expiry, c.CVV2
		return a
	}
	t.Run("approves a good card with an auth code and holds nothing", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "47480102", "", 0)
		res := authorize(t, b, verification(c, 1))
		require.Equal(t, bandeira.Approved, res.Code)
		require.Len(t, res.AuthCode, 6)
		require.Equal(t, bandeira.Debit, res.Product)
		require.Equal(t, bandeira.Balances{Ledger: c.Available, Available: c.Available, Currency: "986"}, balances(t, b, c))
	})
	screens := []struct {
		name string
		edit func(a *bandeira.Authorization)
		card func() issuers.Card
		want bandeira.ResponseCode
	}{
		{"a wrong CVV2", func(a *bandeira.Authorization) { a.CVV2 = wrong(a.CVV2) }, nil, bandeira.CVV2Mismatch},
		{"a wrong expiry", func(a *bandeira.Authorization) { a.Expiry = "2001" }, nil, bandeira.ExpiredCard},
		{"an expired card", nil, func() issuers.Card { return card(t, cfg, "47480102", issuers.ScenarioExpired, 0) }, bandeira.ExpiredCard},
		{"a stolen card", nil, func() issuers.Card { return card(t, cfg, "47480102", issuers.ScenarioStolen, 0) }, bandeira.StolenCard},
	}
	for _, s := range screens {
		t.Run("declines "+s.name+" with "+string(s.want), func(t *testing.T) {
			b, _ := mustBank(t, issuers.Sicredi, cfg)
			c := card(t, cfg, "47480102", "", 1)
			if s.card != nil {
				c = s.card()
			}
			a := verification(c, 1)
			if s.edit != nil {
				s.edit(&a)
			}
			require.Equal(t, s.want, authorize(t, b, a).Code)
		})
	}
}

// wrong returns digits of the same length that differ from d.
func wrong(d string) string {
	out := []byte(d)
	out[0] = '0' + (out[0]-'0'+1)%10
	return string(out)
}
