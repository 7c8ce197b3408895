package gateway

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// timeoutReversalOf is the full reversal of orig under orig's own STAN and field 7, as an
// acquirer sends when it gave up on orig's answer.
func timeoutReversalOf(orig bandeira.Authorization) bandeira.Authorization {
	rev := orig
	rev.MTI = bandeira.MTIReversal
	rev.Original = &bandeira.OriginalData{MTI: orig.MTI, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime,
		AcquirerID: DefaultConfig().AcquirerID}
	return rev
}

func TestTheMessagesOfATransactionTakeTurns(t *testing.T) {
	t.Run("a reversal sent while its original is in flight is routed and booked after it", func(t *testing.T) {
		h := newHarness(t, nil)
		release, held := make(chan struct{}), make(chan struct{})
		var mu sync.Mutex
		var order []bandeira.MTI
		h.visa.fn = func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			mu.Lock()
			order = append(order, a.MTI)
			mu.Unlock()
			if a.MTI == bandeira.MTIAuthorization {
				close(held)
				<-release
			}
			rem := bandeira.Amount(0)
			return bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Issuer: "bancodobrasil",
				Product: bandeira.Credit, Remaining: &rem}, nil
		}
		orig := purchase()
		var wg sync.WaitGroup
		wg.Go(func() {
			res, err := h.g.Authorize(context.Background(), orig)
			require.NoError(t, err)
			require.Equal(t, bandeira.Approved, res.Code)
		})
		<-held
		reversed := make(chan bandeira.Result, 1)
		wg.Go(func() {
			res, err := h.g.Authorize(context.Background(), timeoutReversalOf(orig))
			require.NoError(t, err)
			reversed <- res
		})
		select {
		case <-reversed:
			t.Fatal("the reversal was answered while its original was still in flight")
		case <-time.After(50 * time.Millisecond): // a window for a wrong order to show; not a wait for an effect
		}
		close(release)
		require.Equal(t, bandeira.Approved, (<-reversed).Code)
		wg.Wait()
		require.Equal(t, []bandeira.MTI{bandeira.MTIAuthorization, bandeira.MTIReversal}, order)
		calls := h.acq.Calls()
		require.Len(t, calls, 2)
		require.Equal(t, bandeira.MTIAuthorization, calls[0].a.MTI, "the original is booked first")
		require.Equal(t, bandeira.MTIReversal, calls[1].a.MTI)
	})
	t.Run("other transactions are not held up", func(t *testing.T) {
		h := newHarness(t, nil)
		release, held := make(chan struct{}), make(chan struct{})
		h.visa.fn = func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			if a.STAN == purchase().STAN {
				close(held)
				<-release
			}
			return bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Issuer: "bancodobrasil", Product: bandeira.Credit}, nil
		}
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = h.g.Authorize(context.Background(), purchase()) })
		<-held
		other := purchase()
		other.STAN = "000777"
		res, err := h.g.Authorize(context.Background(), other)
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		close(release)
		wg.Wait()
	})
	t.Run("a message whose turn does not come within the request timer is answered 91 and not routed", func(t *testing.T) {
		q := &fakeReversals{}
		h := newHarnessWith(t, func(c *Config) { c.RequestTimeout = 200 * time.Millisecond }, WithReversals(q))
		release, held := make(chan struct{}), make(chan struct{})
		h.visa.fn = func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			close(held)
			<-release
			return bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Issuer: "bancodobrasil", Product: bandeira.Credit}, nil
		}
		orig := purchase()
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = h.g.Authorize(context.Background(), timeoutReversalOf(orig)) })
		<-held
		res, err := h.g.Authorize(context.Background(), orig)
		require.NoError(t, err)
		require.Equal(t, bandeira.IssuerUnavailable, res.Code)
		require.EqualValues(t, 1, h.visa.calls.Load(), "only the reversal reached the network")
		requireReversalOf(t, q, orig)
		close(release)
		wg.Wait()
	})
}

func TestAReversalBeforeItsOriginalLeavesATombstone(t *testing.T) {
	t.Run("the original, when it comes, is declined 05 without being routed", func(t *testing.T) {
		h := newHarness(t, nil)
		orig := purchase()
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, timeoutReversalOf(orig)).Code)
		require.Equal(t, bandeira.DoNotHonour, authorizeOK(t, h, orig).Code)
		require.EqualValues(t, 1, h.routed(), "only the reversal was routed")
		require.InDelta(t, 1, duplicates(h, duplicateReversed), 0)
		require.Equal(t, bandeira.DoNotHonour, authorizeOK(t, h, orig).Code, "and its retransmit too")
	})
	t.Run("an original that came but has not had its turn yet is not seen: it finds the tombstone", func(t *testing.T) {
		h := newHarness(t, nil)
		orig := purchase()
		rev := timeoutReversalOf(orig)
		k := rev.OriginalKey()
		end, ok := h.g.turns.take(context.Background(), k, time.Second) // as the reversal's routing would
		require.True(t, ok)
		answered := make(chan bandeira.Result, 1)
		go func() { answered <- authorizeOK(t, h, orig) }()
		key := packKey(k, orig.MTI.Class())
		require.Eventually(t, func() bool { // the original is claimed, and waits for the turn
			s, hash := h.g.dups.shardOf(key)
			s.mu.Lock()
			defer s.mu.Unlock()
			_, _, ok := h.g.dups.lookup(s, key, hash, h.g.now().UnixNano())
			return ok
		}, 5*time.Second, time.Millisecond)
		h.g.buryUnseen(context.Background(), &rev, k)
		end()
		require.Equal(t, bandeira.DoNotHonour, (<-answered).Code)
		require.Zero(t, h.routed(), "the original was not routed after its reversal")
	})
	t.Run("a reversal of an original the gateway routed leaves none", func(t *testing.T) {
		h := newHarness(t, nil)
		orig := purchase()
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, orig).Code)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, timeoutReversalOf(orig)).Code)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, orig).Code, "a retransmit gets its first answer")
		require.Zero(t, duplicates(h, duplicateReversed))
	})
	t.Run("a completion is not an original: a tombstone does not decline it", func(t *testing.T) {
		h := newHarness(t, nil)
		orig := purchase()
		orig.MTI = bandeira.MTIAuthorization
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, timeoutReversalOf(orig)).Code)
		completion := orig
		completion.MTI, completion.STAN = bandeira.MTIFinancialAdvice, "000900"
		completion.Original = &bandeira.OriginalData{MTI: orig.MTI, STAN: orig.STAN,
			TransmissionTime: orig.TransmissionTime, AcquirerID: DefaultConfig().AcquirerID}
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, completion).Code)
		require.EqualValues(t, 2, h.routed(), "the completion reached the network, which answers it as the issuer does")
	})
	t.Run("the tombstone survives a restart", func(t *testing.T) {
		d := newDurable(t)
		orig := purchase()
		require.Equal(t, bandeira.Approved, authorizeOK(t, d.start(), timeoutReversalOf(orig)).Code)
		h := d.start()
		require.Equal(t, bandeira.DoNotHonour, authorizeOK(t, h, orig).Code)
		require.Zero(t, h.routed())
	})
}
