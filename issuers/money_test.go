package issuers_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/ledger"
)

func TestBankMoney(t *testing.T) {
	cfg := testConfig()

	t.Run("a balance inquiry reports ledger and available for a debit card", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 0)
		require.Equal(t, bandeira.Balances{Ledger: c.Available, Available: c.Available, Currency: "986"}, balances(t, b, c))
	})

	t.Run("a balance inquiry reports a zero ledger and the limit for a fresh credit card", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600101", "", 0)
		require.Equal(t, bandeira.Balances{Ledger: 0, Available: c.Available, Currency: "986"}, balances(t, b, c))
	})

	t.Run("an 0100 holds, and its reversal releases the hold", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 1)
		orig := request(bandeira.MTIAuthorization, "000000", c, 12_345, 1)
		res := authorize(t, b, orig)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, bandeira.Balances{Ledger: c.Available, Available: c.Available - 12_345, Currency: "986"}, balances(t, b, c))

		rev := authorize(t, b, reversalOf(orig, 2))
		require.Equal(t, bandeira.Approved, rev.Code)
		require.Equal(t, res.AuthCode, rev.AuthCode)
		require.Equal(t, c.Available, balances(t, b, c).Available)
	})

	t.Run("a 0220 completion captures part of the hold once and releases the rest", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 3)
		orig := request(bandeira.MTIAuthorization, "000000", c, 10_000, 1)
		res := authorize(t, b, orig)
		require.Equal(t, bandeira.Approved, res.Code)
		adv := reversalOf(orig, 2)
		adv.MTI, adv.Amount = bandeira.MTIFinancialAdvice, 6_000
		got := authorize(t, b, adv)
		require.Equal(t, bandeira.Approved, got.Code)
		require.Equal(t, res.AuthCode, got.AuthCode)
		want := bandeira.Balances{Ledger: c.Available - 6_000, Available: c.Available - 6_000, Currency: "986"}
		require.Equal(t, want, balances(t, b, c))
		require.Equal(t, bandeira.Amount(6_000), *got.Remaining, "what the capture keeps in effect")
		adv.STAN = "000003"
		again := authorize(t, b, adv)
		require.Equal(t, bandeira.Approved, again.Code)
		require.Equal(t, bandeira.Amount(6_000), *again.Remaining)
		require.Equal(t, want, balances(t, b, c), "a hold is captured once")
	})

	t.Run("a partial reversal releases only the difference", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Nubank, cfg)
		c := card(t, cfg, "52600102", "", 2)
		orig := request(bandeira.MTIAuthorization, "000000", c, 10_000, 1)
		authorize(t, b, orig)
		rev := reversalOf(orig, 2)
		keep := bandeira.Amount(3_000)
		rev.Replacement = &keep
		require.Equal(t, bandeira.Approved, authorize(t, b, rev).Code)
		require.Equal(t, c.Available-3_000, balances(t, b, c).Available)

		t.Run("and its retransmit changes nothing", func(t *testing.T) {
			require.Equal(t, bandeira.Approved, authorize(t, b, rev).Code)
			require.Equal(t, c.Available-3_000, balances(t, b, c).Available)
		})
	})

	t.Run("an 0200 posts at once, and its reversal credits it back", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "47480102", "", 0)
		orig := request(bandeira.MTIFinancial, "000000", c, 2_500, 1)
		require.Equal(t, bandeira.Approved, authorize(t, b, orig).Code)
		require.Equal(t, bandeira.Balances{Ledger: c.Available - 2_500, Available: c.Available - 2_500, Currency: "986"}, balances(t, b, c))
		require.Equal(t, bandeira.Approved, authorize(t, b, reversalOf(orig, 2)).Code)
		require.Equal(t, bandeira.Balances{Ledger: c.Available, Available: c.Available, Currency: "986"}, balances(t, b, c))
	})

	t.Run("a refund credits without a funds check, and its reversal debits back", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "47480102", issuers.ScenarioInsufficientFunds, 0)
		refund := request(bandeira.MTIAuthorization, "200000", c, 400, 1)
		require.Equal(t, bandeira.Approved, authorize(t, b, refund).Code)
		require.Equal(t, bandeira.Amount(500), balances(t, b, c).Ledger)
		require.Equal(t, bandeira.Approved, authorize(t, b, reversalOf(refund, 2)).Code)
		require.Equal(t, bandeira.Amount(100), balances(t, b, c).Ledger)
	})

	t.Run("a refund reversal the balance cannot cover declines 51 and changes nothing", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "55748102", issuers.ScenarioInsufficientFunds, 0)
		refund := request(bandeira.MTIFinancial, "200000", c, 400, 1)
		authorize(t, b, refund)
		require.Equal(t, bandeira.Approved, authorize(t, b, request(bandeira.MTIFinancial, "000000", c, 450, 2)).Code)
		require.Equal(t, bandeira.InsufficientFunds, authorize(t, b, reversalOf(refund, 3)).Code)
		require.Equal(t, bandeira.Amount(50), balances(t, b, c).Ledger)
	})

	t.Run("a reversal of an unknown original is acknowledged and changes nothing", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "47480102", "", 3)
		res := authorize(t, b, reversalOf(request(bandeira.MTIAuthorization, "000000", c, 999, 77), 78))
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, c.Available, balances(t, b, c).Available)
	})

	t.Run("a reversal without field 90 matches on its own acquirer, STAN and time", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "47480102", "", 4)
		orig := request(bandeira.MTIAuthorization, "000000", c, 999, 5)
		authorize(t, b, orig)
		rev := orig
		rev.MTI = bandeira.MTIReversalAdvice
		require.Equal(t, bandeira.Approved, authorize(t, b, rev).Code)
		require.Equal(t, c.Available, balances(t, b, c).Available)
	})

	t.Run("a reversal whose field 90 acquirer ID is zeros matches on its field 32", func(t *testing.T) {
		b, _ := mustBank(t, issuers.Sicredi, cfg)
		c := card(t, cfg, "47480102", "", 6)
		orig := request(bandeira.MTIAuthorization, "000000", c, 999, 5)
		authorize(t, b, orig)
		rev := reversalOf(orig, 6)
		rev.Original.AcquirerID = "00000000000"
		require.Equal(t, bandeira.Approved, authorize(t, b, rev).Code)
		require.Equal(t, c.Available, balances(t, b, c).Available)
	})

	t.Run("a credit card spends up to its limit and declines 51 beyond", func(t *testing.T) {
		small := cfg
		small.CreditLimit = issuers.AmountRange{Min: 10_000, Max: 10_000}
		b, _ := mustBank(t, issuers.BancoDoBrasil, small)
		c := card(t, small, "51000101", "", 0)
		require.Equal(t, bandeira.Approved, authorize(t, b, request(bandeira.MTIFinancial, "000000", c, 6_000, 1)).Code)
		require.Equal(t, bandeira.Approved, authorize(t, b, request(bandeira.MTIAuthorization, "000000", c, 3_000, 2)).Code)
		require.Equal(t, bandeira.InsufficientFunds, authorize(t, b, request(bandeira.MTIAuthorization, "000000", c, 1_001, 3)).Code)
		require.Equal(t, bandeira.Balances{Ledger: -6_000, Available: 1_000, Currency: "986"}, balances(t, b, c))
	})

	t.Run("a repeat of an approved request gets the original answer and changes nothing", func(t *testing.T) {
		b, _ := mustBank(t, issuers.BancoDoBrasil, cfg)
		c := card(t, cfg, "40000102", "", 5)
		orig := request(bandeira.MTIAuthorization, "000000", c, 700, 1)
		first := authorize(t, b, orig)
		repeat := orig
		repeat.MTI = bandeira.MTIAuthorizationRepeat
		again := authorize(t, b, repeat)
		require.Equal(t, bandeira.Approved, again.Code)
		require.Equal(t, first.AuthCode, again.AuthCode)
		require.Equal(t, c.Available-700, balances(t, b, c).Available)

		repeat.Amount = 800
		require.Equal(t, bandeira.DuplicateTransmission, authorize(t, b, repeat).Code)
	})

	t.Run("auth codes differ between approvals", func(t *testing.T) {
		b, _ := mustBank(t, issuers.BancoDoBrasil, cfg)
		c := card(t, cfg, "40000101", "", 6)
		seen := map[string]bool{}
		for i := range 200 {
			res := authorize(t, b, request(bandeira.MTIAuthorization, "000000", c, 1, i))
			require.False(t, seen[res.AuthCode], "repeated auth code %s", res.AuthCode)
			seen[res.AuthCode] = true
		}
	})
}

func TestBankConcurrency(t *testing.T) {
	t.Run("concurrent purchases on one debit card never overdraw", func(t *testing.T) {
		cfg := testConfig()
		cfg.DebitBalance = issuers.AmountRange{Min: 100_000, Max: 100_000}
		mem := ledger.NewMemory()
		b, err := issuers.NewBank(issuers.Nubank, cfg, nopLogger(), nil, fixedNow, issuers.WithLedger(mem))
		require.NoError(t, err)
		c := card(t, cfg, "52600102", "", 0)
		const workers, each, amount = 8, 40, 700
		var mu sync.Mutex
		approved := 0
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					mti := bandeira.MTIAuthorization
					if i%2 == 0 {
						mti = bandeira.MTIFinancial
					}
					res, err := b.Authorize(t.Context(), request(mti, "000000", c, amount, w*1000+i))
					if err != nil || (res.Code != bandeira.Approved && res.Code != bandeira.InsufficientFunds) {
						panic(fmt.Sprintf("unexpected %v %v", res.Code, err))
					}
					if res.Code == bandeira.Approved {
						mu.Lock()
						approved++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		require.Equal(t, 100_000/amount, approved)
		bal := balances(t, b, c)
		require.Equal(t, bandeira.Amount(100_000%amount), bal.Available)
		require.GreaterOrEqual(t, bal.Ledger, bal.Available)
		require.NoError(t, mem.Audit())
	})
}
