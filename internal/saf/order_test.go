package saf_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/saf"
)

// aboutOriginal is a message of mti about the original with STAN stan: its own STAN is
// own, field 90 names the original.
func aboutOriginal(mti bandeira.MTI, own, stan string) bandeira.Authorization {
	a := reversal(0)
	a.MTI, a.STAN = mti, own
	a.Original = &bandeira.OriginalData{MTI: bandeira.MTIAuthorization, STAN: stan, TransmissionTime: "1206115959"}
	return a
}

// TestOrderWithinATransaction: the messages about one transaction are delivered in the
// order they were enqueued, a later one waiting until the earlier is answered even when it
// is due first, while another transaction's messages are not held back; a newcomer has the
// messages it waits behind tried at once.
func TestOrderWithinATransaction(t *testing.T) {
	// The original whose receiver is down at first; its advice's key is the original's.
	const held = "000007"
	advice := aboutOriginal(bandeira.MTIAuthorizationAdvice, held, held)
	partial := aboutOriginal(bandeira.MTIReversalAdvice, "000008", held)
	full := aboutOriginal(bandeira.MTIReversalAdvice, "000009", held)
	other := aboutOriginal(bandeira.MTIReversalAdvice, "000010", "000005")
	another := aboutOriginal(bandeira.MTIReversalAdvice, "000011", "000006")
	up := make(chan struct{})
	d := &deliverer{}
	d.answer = func(n int) (bandeira.Result, error) {
		select {
		case <-up:
		default:
			if d.sent()[n-1].OriginalKey().STAN == "7" {
				return bandeira.Result{}, bandeira.ErrIssuerUnavailable
			}
		}
		return bandeira.Result{Code: bandeira.Approved}, nil
	}
	stans := func() []string {
		var out []string
		for _, a := range d.sent() {
			out = append(out, a.STAN)
		}
		return out
	}
	// The back-off is an hour: only a newcomer gets the advice tried again in this test.
	s := mustOpenAt(t, t.TempDir(), nil, func(o *saf.Options) { o.BackoffMin, o.BackoffMax = time.Hour, time.Hour })
	defer s.Close()
	s.Start("q", d)
	ctx := context.Background()
	require.NoError(t, s.Enqueue(ctx, "q", advice))
	require.Eventually(t, func() bool { return len(d.sent()) == 1 }, 5*time.Second, time.Millisecond, "the advice's first attempt")

	t.Run("another transaction's message is delivered while the advice waits", func(t *testing.T) {
		require.NoError(t, s.Enqueue(ctx, "q", other))
		require.Eventually(t, func() bool { return s.Depth()["q"] == 1 }, 5*time.Second, time.Millisecond)
		require.True(t, s.Holds("q", partial.OriginalKey()))
		require.False(t, s.Holds("q", other.OriginalKey()))
	})
	t.Run("a reversal of the same original has the advice tried again, and waits behind it", func(t *testing.T) {
		require.NoError(t, s.Enqueue(ctx, "q", partial))
		require.Eventually(t, func() bool { return len(d.sent()) == 3 }, 5*time.Second, time.Millisecond)
		// Whatever is enqueued after it goes once the sender has passed the reversal by.
		require.NoError(t, s.Enqueue(ctx, "q", another))
		require.Eventually(t, func() bool { return s.Depth()["q"] == 2 }, 5*time.Second, time.Millisecond)
		require.Equal(t, []string{held, "000010", held, "000011"}, stans(), "the reversal was not sent before its advice")
	})
	t.Run("once the advice is answered the reversals follow it in order", func(t *testing.T) {
		close(up)
		require.NoError(t, s.Enqueue(ctx, "q", full))
		require.Eventually(t, func() bool { return s.Depth()["q"] == 0 }, 5*time.Second, time.Millisecond)
		require.Equal(t, []string{held, "000010", held, "000011", held, "000008", "000009"}, stans())
		require.False(t, s.Holds("q", partial.OriginalKey()))
	})
}
