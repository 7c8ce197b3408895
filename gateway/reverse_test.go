package gateway

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// institutions is the harness's table of issuers' institution IDs.
var institutions = map[string]string{"bancodobrasil": "001", "nubank": "260"}

// reversingHarness is a harness whose gateway reverses through q.
func reversingHarness(t *testing.T) (*harness, *fakeReversals) {
	t.Helper()
	q := &fakeReversals{}
	return newHarnessWith(t, nil, WithReversals(q), WithInstitutions(institutions)), q
}

func autoReversals(h *harness, reason string) float64 {
	return metricValue(h.t, h.reg, "bandeira_gateway_auto_reversals_total", map[string]string{"reason": reason})
}

func failWith(err error) func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
	return func(context.Context, bandeira.Authorization) (bandeira.Result, error) { return bandeira.Result{}, err }
}

// requireReversalOf checks that q holds exactly one reversal, of orig, on the Visa queue,
// and returns it.
func requireReversalOf(t *testing.T, q *fakeReversals, orig bandeira.Authorization) bandeira.Authorization {
	t.Helper()
	got := q.Queued()
	require.Len(t, got, 1)
	require.Equal(t, "gateway->network:visa", got[0].queue)
	rev := got[0].a
	require.Equal(t, bandeira.MTIReversal, rev.MTI)
	require.Equal(t, orig.PAN, rev.PAN)
	require.Equal(t, orig.ProcessingCode, rev.ProcessingCode)
	require.Equal(t, orig.Amount, rev.Amount)
	require.Equal(t, orig.STAN, rev.STAN, "a timeout reversal reuses its original's STAN and field 7")
	require.Equal(t, orig.TransmissionTime, rev.TransmissionTime)
	require.Equal(t, &bandeira.OriginalData{MTI: orig.MTI.Original(), STAN: orig.STAN,
		TransmissionTime: orig.TransmissionTime, AcquirerID: DefaultConfig().AcquirerID}, rev.Original)
	require.Empty(t, rev.Expiry+rev.CVV2+rev.PINBlock, "no card secrets are queued")
	return rev
}

func TestAutoReversalWhenNoDecision(t *testing.T) {
	t.Run("a purchase the network did not decide is answered 91 and reversed", func(t *testing.T) {
		h, q := reversingHarness(t)
		h.visa.fn = failWith(context.DeadlineExceeded)
		_, err := h.g.Authorize(context.Background(), purchase())
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
		rev := requireReversalOf(t, q, purchase())
		require.Empty(t, rev.AuthCode)
		require.Empty(t, rev.ReceivingInstitution, "no issuer answered: the network routes by BIN")
		require.InDelta(t, 1, autoReversals(h, reasonNoDecision), 0)
	})
	t.Run("so is a 0200 a network answered 91", func(t *testing.T) {
		h, q := reversingHarness(t)
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.IssuerUnavailable}, nil
		}
		a := request(bandeira.MTIFinancial)
		require.Equal(t, bandeira.IssuerUnavailable, authorizeOK(t, h, a).Code)
		requireReversalOf(t, q, a)
	})
	t.Run("a retransmit of the failed key is answered 91 again and not reversed twice", func(t *testing.T) {
		h, q := reversingHarness(t)
		h.visa.fn = failWith(bandeira.ErrIssuerUnavailable)
		_, _ = h.g.Authorize(context.Background(), purchase())
		repeat := purchase()
		repeat.MTI = bandeira.MTIAuthorizationRepeat
		_, err := h.g.Authorize(context.Background(), repeat)
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		require.Len(t, q.Queued(), 1)
	})
	for _, c := range []struct {
		name string
		a    func() bandeira.Authorization
	}{
		{"a balance inquiry", func() bandeira.Authorization { a := purchase(); a.ProcessingCode, a.Amount = "310000", 0; return a }},
		{"a reversal", func() bandeira.Authorization { return request(bandeira.MTIReversal) }},
		{"a completion advice", func() bandeira.Authorization { return request(bandeira.MTIFinancialAdvice) }},
	} {
		t.Run(c.name+" that fails is not reversed", func(t *testing.T) {
			h, q := reversingHarness(t)
			h.visa.fn = failWith(bandeira.ErrIssuerUnavailable)
			_, err := h.g.Authorize(context.Background(), c.a())
			require.Error(t, err)
			require.Empty(t, q.Queued())
		})
	}
	t.Run("a reversal that cannot be queued is logged and counted, and the answer is still 91", func(t *testing.T) {
		h, q := reversingHarness(t)
		q.err = errors.New("store closed")
		h.visa.fn = failWith(bandeira.ErrIssuerUnavailable)
		_, err := h.g.Authorize(context.Background(), purchase())
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		require.InDelta(t, 1, metricValue(t, h.reg, "bandeira_gateway_auto_reversal_failures_total", nil), 0)
		require.Zero(t, autoReversals(h, reasonNoDecision))
		require.Contains(t, h.logs.String(), "store closed")
	})
}

func TestAutoReversalOfApprovals(t *testing.T) {
	t.Run("an approval the acquirer cannot book is answered 96 and reversed at its issuer", func(t *testing.T) {
		h, q := reversingHarness(t)
		h.acq.err = errors.New("journal failed")
		require.Equal(t, bandeira.SystemMalfunction, authorizeOK(t, h, purchase()).Code)
		rev := requireReversalOf(t, q, purchase())
		require.Equal(t, "A1B2C3", rev.AuthCode)
		require.Equal(t, "001", rev.ReceivingInstitution, "bancodobrasil decided it")
		require.InDelta(t, 1, autoReversals(h, reasonNotBooked), 0)
	})
	t.Run("an approval the client never got is reversed and its key answers 91 from then on", func(t *testing.T) {
		h, q := reversingHarness(t)
		res := authorizeOK(t, h, purchase())
		require.Equal(t, bandeira.Approved, res.Code)
		h.g.Undelivered(purchase(), res)
		rev := requireReversalOf(t, q, purchase())
		require.Equal(t, res.AuthCode, rev.AuthCode)
		require.InDelta(t, 1, autoReversals(h, reasonUndelivered), 0)
		again := authorizeOK(t, h, purchase())
		require.Equal(t, bandeira.IssuerUnavailable, again.Code)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("an undelivered decline, inquiry or reversal is not reversed", func(t *testing.T) {
		h, q := reversingHarness(t)
		h.g.Undelivered(purchase(), bandeira.Result{Code: bandeira.InsufficientFunds})
		inquiry := purchase()
		inquiry.ProcessingCode = "310000"
		h.g.Undelivered(inquiry, bandeira.Result{Code: bandeira.Approved})
		h.g.Undelivered(request(bandeira.MTIReversal), bandeira.Result{Code: bandeira.Approved})
		require.Empty(t, q.Queued())
	})
}

func TestReversalDeliverer(t *testing.T) {
	rest := bandeira.Amount(0)
	acked := bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Issuer: "bancodobrasil", Remaining: &rest}
	t.Run("books an acknowledged reversal with the issuer's answer", func(t *testing.T) {
		h, _ := reversingHarness(t)
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) { return acked, nil }
		rev := reversalOf(new(purchase()), bandeira.Result{}, "")
		res, err := h.g.ReversalDeliverer(bandeira.Visa).Authorize(context.Background(), rev)
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		calls := h.acq.Calls()
		require.Len(t, calls, 1)
		require.Equal(t, rev, calls[0].a)
		require.Equal(t, bandeira.Visa, calls[0].res.Brand)
		require.Equal(t, &rest, calls[0].res.Remaining)
	})
	t.Run("returns an error, so the queue sends it again, when the booking fails", func(t *testing.T) {
		h, _ := reversingHarness(t)
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) { return acked, nil }
		h.acq.err = errors.New("journal failed")
		_, err := h.g.ReversalDeliverer(bandeira.Visa).Authorize(context.Background(), reversalOf(new(purchase()), bandeira.Result{}, ""))
		require.ErrorContains(t, err, "journal failed")
	})
	t.Run("books nothing when the network fails or refuses", func(t *testing.T) {
		h, _ := reversingHarness(t)
		h.visa.fn = failWith(bandeira.ErrIssuerUnavailable)
		_, err := h.g.ReversalDeliverer(bandeira.Visa).Authorize(context.Background(), reversalOf(new(purchase()), bandeira.Result{}, ""))
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.InvalidTransaction}, nil
		}
		res, err := h.g.ReversalDeliverer(bandeira.Visa).Authorize(context.Background(), reversalOf(new(purchase()), bandeira.Result{}, ""))
		require.NoError(t, err)
		require.Equal(t, bandeira.InvalidTransaction, res.Code)
		require.Empty(t, h.acq.Calls())
	})
	t.Run("refuses with 15 a brand without a network", func(t *testing.T) {
		h, _ := reversingHarness(t)
		res, err := h.g.ReversalDeliverer("elo").Authorize(context.Background(), reversalOf(new(purchase()), bandeira.Result{}, ""))
		require.NoError(t, err)
		require.Equal(t, bandeira.NoSuchIssuer, res.Code)
	})
}

func TestReceivingInstitution(t *testing.T) {
	cases := []struct {
		name string
		mti  bandeira.MTI
	}{{"a reversal", bandeira.MTIReversal}, {"a reversal advice repeat", bandeira.MTIReversalAdviceRepeat},
		{"a completion advice", bandeira.MTIFinancialAdvice}}
	for _, c := range cases {
		t.Run(c.name+" names the issuer that decided its original in field 100", func(t *testing.T) {
			h, _ := reversingHarness(t)
			h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
				return bandeira.Result{Code: bandeira.Approved, AuthCode: "NU0001", Issuer: "nubank"}, nil
			}
			authorizeOK(t, h, purchase())
			authorizeOK(t, h, request(c.mti))
			require.Equal(t, "260", h.visa.lastRequest().ReceivingInstitution)
		})
	}
	t.Run("a reversal of an original the gateway does not remember is routed by BIN", func(t *testing.T) {
		h, _ := reversingHarness(t)
		authorizeOK(t, h, request(bandeira.MTIReversal))
		require.Empty(t, h.visa.lastRequest().ReceivingInstitution)
	})
	t.Run("an issuer missing from the table leaves field 100 as it came", func(t *testing.T) {
		h, _ := reversingHarness(t)
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.Approved, AuthCode: "SC0001", Issuer: "sicredi"}, nil
		}
		authorizeOK(t, h, purchase())
		rev := request(bandeira.MTIReversal)
		rev.ReceivingInstitution = "999"
		authorizeOK(t, h, rev)
		require.Equal(t, "999", h.visa.lastRequest().ReceivingInstitution)
	})
}
