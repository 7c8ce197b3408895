package issuers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

func TestCards(t *testing.T) {
	cfg := testConfig()
	cards := issuers.Cards(cfg)

	t.Run("lists every regular and scenario card of every row", func(t *testing.T) {
		require.Len(t, cards, 9*(20+9))
		require.Len(t, issuers.ScenarioCards(cfg), 9*9)
	})

	t.Run("gives each card a unique Luhn-valid 16-digit PAN of its row", func(t *testing.T) {
		seen := map[bandeira.PAN]bool{}
		for _, c := range cards {
			require.Len(t, c.PAN.Digits(), 16)
			require.True(t, c.PAN.LuhnValid())
			require.False(t, seen[c.PAN], "duplicate PAN %s", c.PAN)
			seen[c.PAN] = true
			require.Equal(t, bandeira.BrandOf(c.PAN), c.Brand)
			require.True(t, c.Product.Valid())
			require.Regexp(t, `^\d{4}$`, c.Expiry)
			require.Regexp(t, `^\d{3}$`, c.CVV2)
			require.Regexp(t, `^\d{4}$`, c.PIN)
		}
	})

	t.Run("is the same for the same seed and pinned for seed 2020", func(t *testing.T) {
		require.Equal(t, cards, issuers.Cards(cfg))
		// Golden values (checked against the documented SplitMix64 formula by hand): a
		// change here changes every published test card.
		first := cards[0]
		require.Equal(t, issuers.Card{PAN: "4000010100000000", Expiry: first.Expiry, CVV2: first.CVV2, PIN: first.PIN,
			Issuer: issuers.BancoDoBrasil, Brand: bandeira.Visa, Product: bandeira.Credit, Available: first.Available}, first)
		require.Equal(t, []string{"3205", "755", "3162"}, []string{first.Expiry, first.CVV2, first.PIN})
		require.Equal(t, bandeira.Amount(1_040_500), first.Available)
	})

	t.Run("differs for another seed but keeps the PANs", func(t *testing.T) {
		other := cfg
		other.Seed = 2021
		diff := 0
		for i, c := range issuers.Cards(other) {
			require.Equal(t, cards[i].PAN, c.PAN)
			if c.CVV2 != cards[i].CVV2 || c.PIN != cards[i].PIN || c.Expiry != cards[i].Expiry {
				diff++
			}
		}
		require.Greater(t, diff, len(cards)*9/10)
	})

	t.Run("draws regular expiries from 2029-2032 and money from the configured ranges", func(t *testing.T) {
		for _, c := range cards {
			if c.Scenario != "" {
				continue
			}
			require.GreaterOrEqual(t, c.Expiry, "2901")
			require.LessOrEqual(t, c.Expiry, "3212")
			r := cfg.DebitBalance
			switch c.Product {
			case bandeira.Credit:
				r = cfg.CreditLimit
			case bandeira.Prepaid:
				r = cfg.PrepaidBalance
			}
			require.GreaterOrEqual(t, c.Available, r.Min)
			require.LessOrEqual(t, c.Available, r.Max)
			require.Zero(t, c.Available%100, "whole reais")
		}
	})

	t.Run("yields the same cards one at a time and stops when asked", func(t *testing.T) {
		var got []issuers.Card
		for c := range issuers.AllCards(cfg) {
			got = append(got, c)
		}
		require.Equal(t, cards, got)
		n := 0
		for range issuers.AllCards(cfg) {
			n++
			if n == 3 {
				break
			}
		}
		require.Equal(t, 3, n)
	})
}

func TestScenarioCards(t *testing.T) {
	cfg := testConfig()
	t.Run("puts every scenario on every row at fixed serials", func(t *testing.T) {
		sc := issuers.ScenarioCards(cfg)
		names := issuers.Scenarios()
		require.Equal(t, []string{"insufficient-funds", "expired", "lost", "stolen", "blocked",
			"wrong-pin", "issuer-down", "no-answer", "slow"}, names)
		for i, c := range sc {
			require.Equal(t, names[i%len(names)], c.Scenario)
			require.Equal(t, panOf(c.PAN.BIN(8), 9_999_900+i%len(names)), c.PAN)
		}
	})

	t.Run("gives expired cards a past expiry and insufficient-funds cards R$ 1.00", func(t *testing.T) {
		for _, c := range issuers.ScenarioCards(cfg) {
			switch c.Scenario {
			case issuers.ScenarioExpired:
				require.Less(t, c.Expiry, "2601")
			case issuers.ScenarioInsufficientFunds:
				require.Equal(t, bandeira.Amount(100), c.Available)
			}
		}
	})

	t.Run("computes the scenario block from the BIN length", func(t *testing.T) {
		require.Equal(t, uint32(9_999_900), issuers.ScenarioSerialBase("40000101"))
		require.Equal(t, uint32(99_999_900), issuers.ScenarioSerialBase("4000010"))
		require.Equal(t, uint32(999_999_900), issuers.ScenarioSerialBase("400001"))
		require.Zero(t, issuers.ScenarioSerialBase("40000"))
	})
}

func BenchmarkCards(b *testing.B) {
	b.ReportAllocs()
	cfg := issuers.DefaultConfig()
	for b.Loop() {
		if n := len(issuers.Cards(cfg)); n != 9*(10_000+9) {
			b.Fatalf("got %d cards", n)
		}
	}
}
