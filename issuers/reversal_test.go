package issuers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

// partial is a reversal of orig down to keep (field 95).
func partial(orig bandeira.Authorization, stan int, keep bandeira.Amount) bandeira.Authorization {
	r := reversalOf(orig, stan)
	r.Replacement = &keep
	return r
}

func remaining(tb testing.TB, res bandeira.Result) bandeira.Amount {
	tb.Helper()
	require.NotNil(tb, res.Remaining, "field 95 in the answer")
	return *res.Remaining
}

func TestReversalChains(t *testing.T) {
	cfg := testConfig()

	t.Run("100, 40, 10, then full: each releases down to the lowest, and a late 40 changes nothing", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 1)
		orig := request(bandeira.MTIAuthorization, "000000", c, 10_000, 1)
		approval := authorize(t, b, orig)
		steps := []struct {
			rev  bandeira.Authorization
			want bandeira.Amount
		}{
			{partial(orig, 2, 4_000), 4_000},
			{partial(orig, 3, 1_000), 1_000},
			{partial(orig, 2, 4_000), 1_000}, // the 40 retransmitted late
			{reversalOf(orig, 4), 0},
			{reversalOf(orig, 4), 0}, // and the full one again
		}
		for i, s := range steps {
			res := authorize(t, b, s.rev)
			require.Equal(t, bandeira.Approved, res.Code, "step %d", i)
			require.Equal(t, approval.AuthCode, res.AuthCode, "step %d", i)
			require.Equal(t, s.want, remaining(t, res), "step %d", i)
			require.Equal(t, c.Available-s.want, balances(t, b, c).Available, "step %d", i)
		}
	})

	t.Run("a full reversal of an 0200 after a partial one credits back the rest", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "47480102", "", 1)
		orig := request(bandeira.MTIFinancial, "000000", c, 5_000, 1)
		authorize(t, b, orig)
		require.Equal(t, bandeira.Amount(2_000), remaining(t, authorize(t, b, partial(orig, 2, 2_000))))
		require.Equal(t, c.Available-2_000, balances(t, b, c).Ledger)
		require.Zero(t, remaining(t, authorize(t, b, reversalOf(orig, 3))))
		require.Equal(t, bandeira.Balances{Ledger: c.Available, Available: c.Available, Currency: "986"}, balances(t, b, c))
	})

	t.Run("a reversal of a captured hold gives back what was captured", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 2)
		orig := request(bandeira.MTIAuthorization, "000000", c, 10_000, 1)
		authorize(t, b, orig)
		completion := reversalOf(orig, 2)
		completion.MTI, completion.Amount = bandeira.MTIFinancialAdvice, 7_000
		require.Equal(t, bandeira.Amount(7_000), remaining(t, authorize(t, b, completion)))
		require.Equal(t, c.Available-7_000, balances(t, b, c).Ledger)
		require.Equal(t, bandeira.Amount(2_500), remaining(t, authorize(t, b, partial(orig, 3, 2_500))))
		require.Equal(t, c.Available-2_500, balances(t, b, c).Ledger)
		require.Zero(t, remaining(t, authorize(t, b, reversalOf(orig, 4))))
		require.Equal(t, bandeira.Balances{Ledger: c.Available, Available: c.Available, Currency: "986"}, balances(t, b, c))
		require.Zero(t, remaining(t, authorize(t, b, completion)), "a completion after its reversal captures nothing")
	})

	t.Run("reversals of a refund take back only what the card can cover", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "55748102", issuers.ScenarioInsufficientFunds, 0) // opens with R$ 1.00
		refund := request(bandeira.MTIFinancial, "200000", c, 400, 1)
		authorize(t, b, refund)
		require.Equal(t, bandeira.Amount(300), remaining(t, authorize(t, b, partial(refund, 2, 300))))
		require.Equal(t, bandeira.Amount(400), balances(t, b, c).Ledger)
		require.Equal(t, bandeira.Approved, authorize(t, b, request(bandeira.MTIFinancial, "000000", c, 350, 3)).Code)
		res := authorize(t, b, reversalOf(refund, 4))
		require.Equal(t, bandeira.InsufficientFunds, res.Code)
		require.Equal(t, bandeira.Amount(300), remaining(t, res), "nothing changed")
		require.Equal(t, bandeira.Amount(50), balances(t, b, c).Ledger)
	})

	t.Run("a reversal reusing its original's STAN and field 7 reverses", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 3)
		orig := request(bandeira.MTIAuthorization, "000000", c, 3_000, 1)
		authorize(t, b, orig)
		for _, withField90 := range []bool{true, false} {
			rev := reversalOf(orig, 1) // STAN 1 and the same field 7: the original's key
			if !withField90 {
				rev.Original = nil
			}
			res := authorize(t, b, rev)
			require.Equal(t, bandeira.Approved, res.Code)
			require.Zero(t, remaining(t, res))
		}
		require.Equal(t, c.Available, balances(t, b, c).Available)
		require.Equal(t, bandeira.DuplicateTransmission, authorize(t, b, request(bandeira.MTIAuthorization, "000000", c, 3_001, 1)).Code,
			"the original's key keeps its body")
	})

	t.Run("a reversal advice (0420) from the network reverses like an 0400", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 4)
		orig := request(bandeira.MTIAuthorization, "000000", c, 3_000, 1)
		authorize(t, b, orig)
		rev := reversalOf(orig, 2)
		rev.MTI = bandeira.MTIReversalAdviceRepeat
		require.Zero(t, remaining(t, authorize(t, b, rev)))
		require.Equal(t, c.Available, balances(t, b, c).Available)
	})
}

func TestMatchByKey(t *testing.T) {
	cfg := testConfig()
	nubank, _ := mustBank(t, issuers.Nubank, cfg)
	credit := card(t, cfg, "52600101", "", 5)
	orig := request(bandeira.MTIAuthorization, "000000", credit, 2_000, 1)
	require.Equal(t, bandeira.Approved, authorize(t, nubank, orig).Code)

	others := []struct {
		name string
		pan  bandeira.PAN
	}{
		{"another card of the bank", card(t, cfg, "52600102", "", 5).PAN},
		{"another issuer's card", card(t, cfg, "40000102", "", 5).PAN},
		{"a card the bank never issued", panOf("52600101", cfg.CardsPerBIN+3)},
	}
	for i, o := range others {
		t.Run("a reversal carrying "+o.name+" acts on its original's account", func(t *testing.T) {
			rev := partial(orig, 10+i, bandeira.Amount(1_500-500*i))
			rev.PAN = o.pan
			res := authorize(t, nubank, rev)
			require.Equal(t, bandeira.Approved, res.Code)
			require.Equal(t, bandeira.Amount(1_500-500*i), remaining(t, res))
			require.Equal(t, bandeira.Credit, res.Product, "the original's card's product")
			require.Equal(t, credit.Available-bandeira.Amount(1_500-500*i), balances(t, nubank, credit).Available)
		})
	}
	t.Run("a completion carrying another issuer's card captures its original", func(t *testing.T) {
		adv := reversalOf(orig, 20)
		adv.MTI, adv.Amount, adv.PAN = bandeira.MTIFinancialAdvice, 400, card(t, cfg, "40000101", "", 1).PAN
		res := authorize(t, nubank, adv)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, bandeira.Amount(400), remaining(t, res))
		require.Equal(t, bandeira.Balances{Ledger: -400, Available: credit.Available - 400, Currency: "986"}, balances(t, nubank, credit))
	})
	t.Run("with no original, a reversal of any card leaves a tombstone and its original is declined 05", func(t *testing.T) {
		ghost := request(bandeira.MTIFinancial, "000000", credit, 900, 30)
		rev := reversalOf(ghost, 31)
		rev.PAN = panOf("99999999", 1)
		res := authorize(t, nubank, rev)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Nil(t, res.Remaining)
		require.Empty(t, res.AuthCode)
		require.Equal(t, bandeira.DoNotHonour, authorize(t, nubank, ghost).Code)
	})
	t.Run("a reversal of a declined original matches it: nothing in effect", func(t *testing.T) {
		big := request(bandeira.MTIAuthorization, "000000", credit, cfg.MaxTransactionAmount+1, 40)
		require.Equal(t, bandeira.ExceedsAmountLimit, authorize(t, nubank, big).Code)
		res := authorize(t, nubank, reversalOf(big, 41))
		require.Equal(t, bandeira.Approved, res.Code)
		require.Zero(t, remaining(t, res))
	})
}
