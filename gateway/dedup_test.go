package gateway

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func authorizeOK(t *testing.T, h *harness, a bandeira.Authorization) bandeira.Result {
	t.Helper()
	res, err := h.g.Authorize(context.Background(), a)
	require.NoError(t, err)
	return res
}

// changed returns a with another amount: the same key with a different body, which the
// gateway answers 94 exactly while it remembers the key.
func changed(a bandeira.Authorization) bandeira.Authorization {
	a.Amount++
	return a
}

func duplicates(h *harness, kind string) float64 {
	return metricValue(h.t, h.reg, "bandeira_gateway_duplicates_total", map[string]string{"kind": kind})
}

func TestDuplicateNewRequests(t *testing.T) {
	t.Run("an identical retransmit of a completed request gets its answer without routing", func(t *testing.T) {
		h := newHarness(t, nil)
		first := authorizeOK(t, h, purchase())
		require.Equal(t, bandeira.Approved, first.Code)
		require.Equal(t, first, authorizeOK(t, h, purchase()))
		require.EqualValues(t, 1, h.routed())
		require.InDelta(t, 1, duplicates(h, duplicateReplayed), 0)
		require.InDelta(t, 0, duplicates(h, duplicateRejected), 0)
	})
	t.Run("the same key with a different amount answers 94, new or repeat", func(t *testing.T) {
		h := newHarness(t, nil)
		authorizeOK(t, h, purchase())
		for _, mti := range []bandeira.MTI{bandeira.MTIAuthorization, bandeira.MTIAuthorizationRepeat} {
			a := purchase()
			a.MTI, a.Amount = mti, 999
			require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, a).Code, "MTI %s", mti)
		}
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("the same key with a different processing code answers 94 to a repeat", func(t *testing.T) {
		h := newHarness(t, nil)
		authorizeOK(t, h, purchase())
		a := purchase()
		a.MTI, a.ProcessingCode = bandeira.MTIAuthorizationRepeat, "010000"
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, a).Code)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("the same key with a different PAN answers 94 to a repeat", func(t *testing.T) {
		h := newHarness(t, nil)
		authorizeOK(t, h, purchase())
		a := purchase()
		a.MTI, a.PAN = bandeira.MTIAuthorizationRepeat, testPAN(visaBIN, 2)
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, a).Code)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("a reversal reusing its purchase's STAN and field 7 is keyed apart and routed", func(t *testing.T) {
		h := newHarness(t, nil)
		authorizeOK(t, h, purchase())
		a := request(bandeira.MTIReversal)
		a.STAN = purchase().STAN
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, a).Code)
		require.EqualValues(t, 2, h.routed())
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(a)).Code,
			"the reversal's own key is bound to its body")
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(purchase())).Code,
			"and the purchase's to its own")
	})
	t.Run("a reversal with its own STAN is routed", func(t *testing.T) {
		h := newHarness(t, nil)
		authorizeOK(t, h, purchase())
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, request(bandeira.MTIReversal)).Code)
		require.EqualValues(t, 2, h.routed())
	})
	t.Run("keys differ by acquirer, terminal, STAN and transmission time", func(t *testing.T) {
		h := newHarness(t, nil)
		edits := []func(a *bandeira.Authorization){
			func(a *bandeira.Authorization) {},
			func(a *bandeira.Authorization) { a.AcquirerID = "123" },
			func(a *bandeira.Authorization) { a.TerminalID = "TERM0002" },
			func(a *bandeira.Authorization) { a.STAN = "000009" },
			func(a *bandeira.Authorization) { a.TransmissionTime = "0115103001" },
		}
		for i, edit := range edits {
			a := purchase()
			edit(&a)
			require.Equal(t, bandeira.Approved, authorizeOK(t, h, a).Code, "edit %d", i)
		}
		require.EqualValues(t, len(edits), h.routed())
	})
	t.Run("a request without field 32 shares its key with one carrying our acquirer ID", func(t *testing.T) {
		h := newHarness(t, nil)
		authorizeOK(t, h, purchase())
		a := purchase()
		a.AcquirerID = DefaultConfig().AcquirerID
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(a)).Code)
	})
}

func TestDuplicateRepeats(t *testing.T) {
	t.Run("a repeat of a completed request gets the stored result without routing", func(t *testing.T) {
		h := newHarness(t, nil)
		first := authorizeOK(t, h, purchase())
		a := purchase()
		a.MTI = bandeira.MTIAuthorizationRepeat
		require.Equal(t, first, authorizeOK(t, h, a))
		require.EqualValues(t, 1, h.routed())
		require.InDelta(t, 1, duplicates(h, duplicateReplayed), 0)
		require.Len(t, h.acq.Calls(), 1, "a replay is not booked again")
	})
	t.Run("a declined key stays declined on repeat", func(t *testing.T) {
		h := newHarness(t, nil)
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.InsufficientFunds}, nil
		}
		authorizeOK(t, h, purchase())
		h.visa.fn = nil
		a := purchase()
		a.MTI = bandeira.MTIAuthorizationRepeat
		require.Equal(t, bandeira.InsufficientFunds, authorizeOK(t, h, a).Code)
	})
	t.Run("a repeat of a request that failed gets the same error", func(t *testing.T) {
		h := newHarness(t, nil)
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{}, bandeira.ErrIssuerUnavailable
		}
		_, err := h.g.Authorize(context.Background(), purchase())
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		a := purchase()
		a.MTI = bandeira.MTIAuthorizationRepeat
		_, err = h.g.Authorize(context.Background(), a)
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("a repeat with no original is processed as a new request", func(t *testing.T) {
		h := newHarness(t, nil)
		a := purchase()
		a.MTI = bandeira.MTIAuthorizationRepeat
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, a).Code)
		require.EqualValues(t, 1, h.routed())
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(purchase())).Code)
	})
	t.Run("a reversal repeat gets the stored reversal result", func(t *testing.T) {
		h := newHarness(t, nil)
		first := authorizeOK(t, h, request(bandeira.MTIReversalAdvice))
		require.Equal(t, first, authorizeOK(t, h, request(bandeira.MTIReversalAdviceRepeat)))
		require.EqualValues(t, 1, h.routed())
	})
}

// TestRepeatsOfUndecidedReversalsAndCompletions: a reversal or completion its sender
// repeats until it is decided is routed again when the network gave no decision on it
// (the issuer applies it once by field 90 however often it comes), while a decided one is
// replayed; an original that failed stays failed (the gateway reversed it).
func TestRepeatsOfUndecidedReversalsAndCompletions(t *testing.T) {
	undecided := []struct {
		name string
		fn   func(context.Context, bandeira.Authorization) (bandeira.Result, error)
	}{
		{"no answer", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{}, bandeira.ErrIssuerUnavailable
		}},
		{"91", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.IssuerUnavailable}, nil
		}},
		{"96", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.SystemMalfunction}, nil
		}},
	}
	for _, mti := range []bandeira.MTI{bandeira.MTIReversal, bandeira.MTIReversalAdvice, bandeira.MTIFinancialAdvice} {
		for _, u := range undecided {
			t.Run(fmt.Sprintf("a repeat of an %s answered with %s is routed again, then replayed once decided", mti, u.name), func(t *testing.T) {
				d := newDurable(t)
				h := d.start()
				h.visa.fn = u.fn
				_, _ = h.g.Authorize(context.Background(), request(mti))
				h.visa.fn = nil
				repeat := request(mti.Repeat())
				require.Equal(t, bandeira.Approved, authorizeOK(t, h, repeat).Code)
				require.Equal(t, bandeira.Approved, authorizeOK(t, h, request(mti)).Code, "an identical retransmit too")
				require.EqualValues(t, 2, h.routed())
				h = d.start()
				require.Equal(t, bandeira.Approved, authorizeOK(t, h, repeat).Code, "decided for good, restarts included")
				require.Zero(t, h.routed())
			})
		}
	}
	t.Run("a repeat of a reversal in flight waits for its answer", func(t *testing.T) {
		h := newHarness(t, nil)
		entered, release := blockingNetwork(h)
		first := make(chan outcome, 1)
		go func() {
			res, err := h.g.Authorize(context.Background(), request(bandeira.MTIReversal))
			first <- outcome{res, err}
		}()
		<-entered
		repeat := make(chan outcome, 1)
		go func() {
			res, err := h.g.Authorize(context.Background(), request(bandeira.MTIReversalRepeat))
			repeat <- outcome{res, err}
		}()
		require.Eventually(t, func() bool { return waitingOn(h, request(bandeira.MTIReversal)) }, 5*time.Second, time.Millisecond)
		close(release)
		require.Equal(t, <-first, <-repeat)
		require.EqualValues(t, 1, h.routed())
	})
}

// blockingNetwork makes the Visa fake wait for release and reports each call on entered.
func blockingNetwork(h *harness) (entered chan struct{}, release chan struct{}) {
	entered, release = make(chan struct{}, 16), make(chan struct{})
	h.visa.fn = func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
		entered <- struct{}{}
		select {
		case <-release:
			return bandeira.Result{Code: bandeira.Approved, AuthCode: "W41T00"}, nil
		case <-ctx.Done():
			return bandeira.Result{}, ctx.Err()
		}
	}
	return entered, release
}

// waiting reports whether the in-flight entry for the purchase key has a waiter.
func waiting(h *harness) bool { return waitingOn(h, purchase()) }

// waitingOn reports whether the in-flight entry for a's key has a waiter.
func waitingOn(h *harness, a bandeira.Authorization) bool {
	a.AcquirerID = h.g.cfg.AcquirerID
	key := packKey(a.Key(), a.MTI.Class())
	for i := range h.g.dups.shards {
		s := &h.g.dups.shards[i]
		s.mu.Lock()
		e := s.flight[key]
		w := e != nil && e.wait != nil
		s.mu.Unlock()
		if w {
			return true
		}
	}
	return false
}

type outcome struct {
	res bandeira.Result
	err error
}

func TestDuplicatesInFlight(t *testing.T) {
	t.Run("a request with a different body colliding with one in flight answers 94 at once", func(t *testing.T) {
		h := newHarness(t, nil)
		entered, release := blockingNetwork(h)
		done := make(chan outcome, 1)
		go func() { r, err := h.g.Authorize(context.Background(), purchase()); done <- outcome{r, err} }()
		receive(t, entered)
		changed := purchase()
		changed.Amount++
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed).Code)
		close(release)
		require.Equal(t, bandeira.Approved, receive(t, done).res.Code)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("a repeat of a request in flight waits for it and returns its result", func(t *testing.T) {
		h := newHarness(t, nil)
		entered, release := blockingNetwork(h)
		first, repeat := make(chan outcome, 1), make(chan outcome, 1)
		go func() { r, err := h.g.Authorize(context.Background(), purchase()); first <- outcome{r, err} }()
		receive(t, entered)
		go func() {
			a := purchase()
			a.MTI = bandeira.MTIAuthorizationRepeat
			r, err := h.g.Authorize(context.Background(), a)
			repeat <- outcome{r, err}
		}()
		require.Eventually(t, func() bool { return waiting(h) }, 5*time.Second, time.Millisecond)
		close(release)
		o1, o2 := receive(t, first), receive(t, repeat)
		require.NoError(t, o1.err)
		require.NoError(t, o2.err)
		require.Equal(t, "W41T00", o2.res.AuthCode)
		require.Equal(t, o1.res, o2.res)
		require.EqualValues(t, 1, h.routed())
		require.InDelta(t, 1, duplicates(h, duplicateReplayed), 0)
	})
	t.Run("a waiting repeat gives up with its context and the original still completes", func(t *testing.T) {
		h := newHarness(t, nil)
		entered, release := blockingNetwork(h)
		first := make(chan outcome, 1)
		go func() { r, err := h.g.Authorize(context.Background(), purchase()); first <- outcome{r, err} }()
		receive(t, entered)
		ctx, cancel := context.WithCancel(context.Background())
		repeat := make(chan error, 1)
		go func() {
			a := purchase()
			a.MTI = bandeira.MTIAuthorizationRepeat
			_, err := h.g.Authorize(ctx, a)
			repeat <- err
		}()
		require.Eventually(t, func() bool { return waiting(h) }, 5*time.Second, time.Millisecond)
		cancel()
		err := receive(t, repeat)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
		close(release)
		require.Equal(t, bandeira.Approved, receive(t, first).res.Code)
		require.Zero(t, duplicates(h, duplicateReplayed))
	})
}

func TestDuplicateWindowAndCapacity(t *testing.T) {
	t.Run("a key is remembered for the whole window and forgotten after it", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.DuplicateWindow = time.Hour })
		authorizeOK(t, h, purchase())
		h.clock.Advance(time.Hour)
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(purchase())).Code)
		h.clock.Advance(time.Nanosecond)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, purchase()).Code)
		require.EqualValues(t, 2, h.routed())
	})
	t.Run("an expired key is forgotten while younger keys are still remembered", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.DuplicateWindow, c.DuplicateCapacity = time.Hour, 100 })
		young := purchase()
		young.STAN = "000002"
		authorizeOK(t, h, purchase())
		h.clock.Advance(30 * time.Minute)
		authorizeOK(t, h, young)
		h.clock.Advance(30*time.Minute + time.Nanosecond)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, purchase()).Code)
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(young)).Code)
		require.EqualValues(t, 3, h.routed())
	})
	t.Run("expired keys are dropped from memory when new keys reach their shard", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.DuplicateWindow, c.DuplicateCapacity = time.Hour, 100 })
		require.Len(t, h.g.dups.shards, 1)
		for i := range 10 {
			a := purchase()
			a.STAN = fmt.Sprintf("%06d", i)
			authorizeOK(t, h, a)
		}
		require.Equal(t, 10, h.g.dups.size())
		h.clock.Advance(2 * time.Hour)
		authorizeOK(t, h, purchase())
		require.Equal(t, 1, h.g.dups.size())
	})
	t.Run("the oldest key is evicted when the store is full", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.DuplicateCapacity = 2 })
		stan := func(s string) bandeira.Authorization { a := purchase(); a.STAN = s; return a }
		authorizeOK(t, h, stan("000001"))
		authorizeOK(t, h, stan("000002"))
		authorizeOK(t, h, stan("000003")) // evicts 000001
		require.Equal(t, 2, h.g.dups.size())
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(stan("000003"))).Code)
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(stan("000002"))).Code)
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, stan("000001")).Code)
		require.EqualValues(t, 4, h.routed())
		require.InDelta(t, 2, metricValue(t, h.reg, "bandeira_gateway_duplicate_keys_evicted_total", nil), 0) // 000001, then 000002
	})
}
