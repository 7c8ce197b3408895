package issuers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

// TestNoAnswerCardPostsThenWithholds: the no-answer card is a late approval whose answer
// is lost: it posts, never answers, and its reversal releases the money.
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
