package issuers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

func TestAnswersCarryWhatRemains(t *testing.T) {
	cfg := testConfig()
	b, _ := mustBank(t, issuers.Sicredi, cfg)
	c := card(t, cfg, "47480101", "", 1)
	t.Run("a partial reversal answers what the original still holds, a second one the same", func(t *testing.T) {
		hold := request(bandeira.MTIAuthorization, "000000", c, 10000, 1)
		require.Equal(t, bandeira.Approved, authorize(t, b, hold).Code)
		rev := reversalOf(hold, 2)
		rev.Replacement = new(bandeira.Amount(4000))
		res := authorize(t, b, rev)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, new(bandeira.Amount(4000)), res.Remaining)
		require.Equal(t, new(bandeira.Amount(4000)), authorize(t, b, reversalOf(hold, 3)).Remaining)
	})
	t.Run("a completion answers what it captured", func(t *testing.T) {
		hold := request(bandeira.MTIAuthorization, "000000", c, 10000, 11)
		require.Equal(t, bandeira.Approved, authorize(t, b, hold).Code)
		comp := reversalOf(hold, 12)
		comp.MTI, comp.Amount = bandeira.MTIFinancialAdvice, 2500
		require.Equal(t, new(bandeira.Amount(2500)), authorize(t, b, comp).Remaining)
	})
	t.Run("a reversal of nothing the issuer knows carries no remaining amount", func(t *testing.T) {
		res := authorize(t, b, reversalOf(request(bandeira.MTIAuthorization, "000000", c, 100, 21), 22))
		require.Equal(t, bandeira.Approved, res.Code)
		require.Nil(t, res.Remaining)
	})
}

func TestNoAnswerCardPostsThenWithholds(t *testing.T) {
	cfg := testConfig()
	b, _ := mustBank(t, issuers.Sicredi, cfg)
	c := card(t, cfg, "47480102", issuers.ScenarioNoAnswer, 0)
	before := balances(t, b, c)
	hold := request(bandeira.MTIAuthorization, "000000", c, 1000, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := b.Authorize(ctx, hold)
		done <- err
	}()
	require.Eventually(t, func() bool {
		res, err := b.Authorize(context.Background(), request(bandeira.MTIAuthorization, "300000", c, 0, 999_999))
		return err == nil && res.Balances != nil && res.Balances.Available == before.Available-1000
	}, 10*time.Second, time.Millisecond, "the hold is posted while its answer is withheld")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)

	res := authorize(t, b, reversalOf(hold, 2))
	require.Equal(t, bandeira.Approved, res.Code, "its reversal is answered")
	require.Equal(t, before.Available, balances(t, b, c).Available)
}
