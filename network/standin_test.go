package network

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// queued is what a fake forwarder stored: the queue and the message.
type queued struct {
	queue string
	msg   bandeira.Authorization
}

// forwarder is a fake store-and-forward that records what it is given, or fails. It
// delivers nothing: with holding set, Holds reports what it was given as still queued.
type forwarder struct {
	mu      sync.Mutex
	got     []queued
	fail    error
	holding bool
}

func (f *forwarder) Holds(queue string, k bandeira.Key) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, q := range f.got {
		if f.holding && q.queue == queue && q.msg.OriginalKey().Normal() == k.Normal() {
			return true
		}
	}
	return false
}

// deliver has the queue deliver what it holds: Holds reports nothing any more.
func (f *forwarder) deliver() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holding = false
}

func (f *forwarder) Enqueue(_ context.Context, queue string, a bandeira.Authorization) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.got = append(f.got, queued{queue, a})
	return nil
}

func (f *forwarder) queued() []queued {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]queued(nil), f.got...)
}

// counting wraps an issuer and counts its calls.
type counting struct {
	bandeira.Authorizer
	calls atomic.Int64
}

func (c *counting) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	c.calls.Add(1)
	return c.Authorizer.Authorize(ctx, a)
}

// standInNet is a visa router with stand-in over a "bb" issuer (BIN 40000101, credit,
// institution 001) and a "nubank" issuer (BIN 40000102, debit, institution 260, stand-in
// off).
type standInNet struct {
	r   *Router
	m   *Metrics
	fwd *forwarder
	bb  *counting
}

func newStandInNet(t *testing.T, bb bandeira.Authorizer) *standInNet {
	t.Helper()
	cfg := DefaultConfig()
	cfg.IssuerTimeout = 50 * time.Millisecond
	off := false
	cfg.StandIn.Issuers = map[string]StandInOverride{"nubank": {Enabled: &off}}
	n := &standInNet{m: NewMetrics(prometheus.NewRegistry()), fwd: &forwarder{}, bb: &counting{Authorizer: bb}}
	clock := &testClock{t: stipNow}
	routes := []Route{
		{Prefix: "40000101", Issuer: "bb", InstitutionID: "001", Product: bandeira.Credit},
		{Prefix: "40000102", Issuer: "nubank", InstitutionID: "260", Product: bandeira.Debit},
	}
	issuers := map[string]bandeira.Authorizer{"bb": n.bb, "nubank": failing(bandeira.ErrIssuerUnavailable)}
	r, err := NewRouter(bandeira.Visa, cfg, routes, issuers, zerolog.New(zerolog.NewTestWriter(t)), n.m,
		WithStandIn(openTestStore(t, t.TempDir(), clock), n.fwd), WithClock(clock.now))
	require.NoError(t, err)
	n.r = r
	return n
}

// request is a purchase (0100, processing code 00) of amount on pan, with a key of its own.
func request(pan bandeira.PAN, stan string, amount bandeira.Amount) bandeira.Authorization {
	return bandeira.Authorization{MTI: "0100", PAN: pan, ProcessingCode: "000000", Amount: amount, AmountPresent: true,
		TransmissionTime: "1126130000", STAN: stan, AcquirerID: "10000000001", TerminalID: "TERM0001",
		MerchantID: "MERCHANT0000001", Currency: "986", Expiry: "3012", CVV2: "123"}
}

const bbCard = bandeira.PAN("4000010100000001")

func TestWithStandInNeedsBoth(t *testing.T) {
	t.Run("refuses a store without a forwarder", func(t *testing.T) {
		_, err := NewRouter(bandeira.Visa, DefaultConfig(), nil, nil, zerolog.Nop(), nil,
			WithStandIn(openTestStore(t, t.TempDir(), &testClock{t: stipNow}), nil))
		require.ErrorContains(t, err, "stand-in needs both a store and a forwarder")
	})
}

func TestStandInReasons(t *testing.T) {
	tests := []struct {
		name   string
		issuer bandeira.Authorizer
		reason bandeira.StandInReason
		label  string
	}{
		{"stands in with reason 1 when the issuer does not answer in time", blocker, bandeira.StandInTimeout, ReasonTimeout},
		{"stands in with reason 2 when the issuer is unreachable", failing(bandeira.ErrIssuerUnavailable), bandeira.StandInUnreachable, ReasonUnavailable},
		{"stands in with reason 2 when the issuer answers 91", answering(bandeira.Result{Code: bandeira.IssuerUnavailable}), bandeira.StandInUnreachable, ReasonUnavailable},
		{"stands in with reason 2 when the issuer is overloaded", failing(bandeira.ErrOverloaded), bandeira.StandInUnreachable, ReasonUnavailable},
		{"stands in with reason 3 when the issuer signed off", failing(bandeira.ErrSignedOff), bandeira.StandInSignedOff, ReasonSignedOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newStandInNet(t, tt.issuer)
			req := request(bbCard, "000001", 15000)
			res, err := n.r.Authorize(context.Background(), req)
			require.NoError(t, err)
			require.Equal(t, bandeira.Approved, res.Code)
			require.Regexp(t, `^S[0-9A-Z]{5}$`, res.AuthCode)
			require.Equal(t, bandeira.Result{Code: "00", AuthCode: res.AuthCode, Product: bandeira.Credit, Issuer: "bb",
				Brand: bandeira.Visa, StandIn: tt.reason}, res)

			q := n.fwd.queued()
			require.Len(t, q, 1)
			require.Equal(t, "network:visa->issuer:bb", q[0].queue)
			adv := q[0].msg
			require.Equal(t, bandeira.MTIAuthorizationAdvice, adv.MTI)
			require.Equal(t, res.AuthCode, adv.AuthCode)
			require.Equal(t, bandeira.Approved, adv.ResponseCode)
			require.Equal(t, tt.reason, adv.StandIn)
			require.Equal(t, req.Key(), adv.Key(), "the advice carries the original's key")
			require.Equal(t, &bandeira.OriginalData{MTI: "0100", STAN: "000001", TransmissionTime: "1126130000",
				AcquirerID: "10000000001"}, adv.Original)
			require.Empty(t, adv.CVV2, "no CVV2 is ever stored")
			require.Equal(t, req.Amount, adv.Amount)

			require.Equal(t, 1.0, value(t, n.m.StandIn.WithLabelValues("visa", "bb", tt.reason.String(), "00")))
			require.Equal(t, 15000.0, value(t, n.m.StandInAmount.WithLabelValues("visa", "bb")))
			require.Equal(t, 1.0, value(t, n.m.IssuerErrors.WithLabelValues("visa", "bb", tt.label)))
		})
	}
}

func TestStandInDecisions(t *testing.T) {
	down := failing(bandeira.ErrIssuerUnavailable)
	t.Run("declines above the limit and stores the original's reversal", func(t *testing.T) {
		n := newStandInNet(t, down)
		req := request(bbCard, "000001", 20001)
		res, err := n.r.Authorize(context.Background(), req)
		require.NoError(t, err)
		require.Equal(t, bandeira.Result{Code: "61", Product: bandeira.Credit, Issuer: "bb", Brand: bandeira.Visa,
			StandIn: bandeira.StandInUnreachable}, res)
		q := n.fwd.queued()
		require.Len(t, q, 1)
		rev := q[0].msg
		require.Equal(t, bandeira.MTIReversalAdvice, rev.MTI)
		require.Equal(t, req.Key(), rev.Key())
		require.Equal(t, req.Amount, rev.Amount)
		require.Nil(t, rev.Replacement, "a full reversal")
		require.Equal(t, &bandeira.OriginalData{MTI: "0100", STAN: "000001", TransmissionTime: "1126130000",
			AcquirerID: "10000000001"}, rev.Original)
		require.Equal(t, req.OriginalKey(), rev.OriginalKey())
		require.Equal(t, 1.0, value(t, n.m.StandIn.WithLabelValues("visa", "bb", "unreachable", "61")))
		require.Equal(t, 0.0, value(t, n.m.StandInAmount.WithLabelValues("visa", "bb")))
	})
	t.Run("answers a repeat of a stood-in key with the same decision, without the issuer", func(t *testing.T) {
		n := newStandInNet(t, down)
		first, err := n.r.Authorize(context.Background(), request(bbCard, "000001", 5000))
		require.NoError(t, err)
		repeat := request(bbCard, "000001", 5000)
		repeat.MTI = bandeira.MTIAuthorizationRepeat
		again, err := n.r.Authorize(context.Background(), repeat)
		require.NoError(t, err)
		require.Equal(t, first, again)
		require.Equal(t, int64(1), n.bb.calls.Load())
		require.Len(t, n.fwd.queued(), 2, "the advice is stored again; the issuer applies it once")
		require.Equal(t, 1.0, value(t, n.m.StandIn.WithLabelValues("visa", "bb", "unreachable", "00")), "counted once")
		other, err := n.r.Authorize(context.Background(), request(bbCard, "000001", 5001))
		require.NoError(t, err)
		require.Equal(t, bandeira.DuplicateTransmission, other.Code)
	})
	t.Run("keeps the per-card daily limit across purchases", func(t *testing.T) {
		n := newStandInNet(t, down)
		var codes []bandeira.ResponseCode
		for i, amount := range []bandeira.Amount{20000, 20000, 10000, 1} {
			res, err := n.r.Authorize(context.Background(), request(bbCard, leftPad(i+1, 6), amount))
			require.NoError(t, err)
			codes = append(codes, res.Code)
		}
		require.Equal(t, []bandeira.ResponseCode{"00", "00", "00", "61"}, codes)
		require.Equal(t, 50000.0, value(t, n.m.StandInAmount.WithLabelValues("visa", "bb")))
	})
	t.Run("answers 91 and stores the reversal when stand-in is off for the issuer", func(t *testing.T) {
		n := newStandInNet(t, down)
		_, err := n.r.Authorize(context.Background(), request("4000010200000001", "000001", 100))
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		q := n.fwd.queued()
		require.Len(t, q, 1)
		require.Equal(t, "network:visa->issuer:nubank", q[0].queue)
		require.Equal(t, bandeira.MTIReversalAdvice, q[0].msg.MTI)
	})
	t.Run("answers 91 to what it never stands in for, storing reversals of what may have posted", func(t *testing.T) {
		n := newStandInNet(t, down)
		refund := request(bbCard, "000001", 100)
		refund.ProcessingCode = "200000"
		inquiry := request(bbCard, "000002", 0)
		inquiry.ProcessingCode = "310000"
		reversal := request(bbCard, "000003", 100)
		reversal.MTI, reversal.Original = bandeira.MTIReversal, &bandeira.OriginalData{MTI: "0100", STAN: "000001",
			TransmissionTime: "1126130000", AcquirerID: "10000000001"}
		completion := request(bbCard, "000004", 100)
		completion.MTI = bandeira.MTIFinancialAdvice
		for _, a := range []bandeira.Authorization{refund, inquiry, reversal, completion} {
			_, err := n.r.Authorize(context.Background(), a)
			require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable, "%s %s", a.MTI, a.ProcessingCode)
		}
		q := n.fwd.queued()
		require.Len(t, q, 2, "the refund's reversal and the reversal itself")
		require.Equal(t, bandeira.MTIReversalAdvice, q[0].msg.MTI)
		require.Equal(t, refund.Key().Normal(), q[0].msg.OriginalKey())
		require.Equal(t, bandeira.MTIReversalAdvice, q[1].msg.MTI)
		require.Equal(t, reversal.Key(), q[1].msg.Key())
		require.Equal(t, reversal.Original, q[1].msg.Original)
		require.Equal(t, 0.0, value(t, n.m.StandIn.WithLabelValues("visa", "bb", "unreachable", "00")))
	})
	t.Run("relays the issuer's 91 when it does not stand in", func(t *testing.T) {
		n := newStandInNet(t, answering(bandeira.Result{Code: bandeira.IssuerUnavailable}))
		refund := request(bbCard, "000001", 100)
		refund.ProcessingCode = "200000"
		res, err := n.r.Authorize(context.Background(), refund)
		require.NoError(t, err)
		require.Equal(t, bandeira.Result{Code: "91", Brand: bandeira.Visa, Issuer: "bb"}, res)
	})
	t.Run("leaves the outcome to a caller that gave up first", func(t *testing.T) {
		n := newStandInNet(t, blocker)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := n.r.Authorize(ctx, request(bbCard, "000001", 100))
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		require.Empty(t, n.fwd.queued())
	})
	t.Run("does not stand in for an issuer error that is not an outage, and reverses", func(t *testing.T) {
		n := newStandInNet(t, failing(errors.New("disk on fire")))
		_, err := n.r.Authorize(context.Background(), request(bbCard, "000001", 100))
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		require.Len(t, n.fwd.queued(), 1)
	})
	t.Run("answers 91 rather than an approval whose advice it cannot store", func(t *testing.T) {
		n := newStandInNet(t, down)
		n.fwd.fail = errors.New("saf: closed")
		_, err := n.r.Authorize(context.Background(), request(bbCard, "000001", 100))
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
	})
	t.Run("relays the issuer's own decision untouched when it answers", func(t *testing.T) {
		n := newStandInNet(t, answering(bandeira.Result{Code: bandeira.InsufficientFunds, Product: bandeira.Credit}))
		res, err := n.r.Authorize(context.Background(), request(bbCard, "000001", 100))
		require.NoError(t, err)
		require.Equal(t, bandeira.Result{Code: "51", Product: bandeira.Credit, Issuer: "bb", Brand: bandeira.Visa}, res)
		require.Empty(t, n.fwd.queued())
	})
}

// TestFollowUpsWaitBehindTheIssuersQueue: a reversal or completion of an original whose
// stand-in advice the issuer's queue still holds is stored behind the advice rather than
// sent, where it would reach the issuer first; once the queue has delivered, they go to
// the issuer.
func TestFollowUpsWaitBehindTheIssuersQueue(t *testing.T) {
	up := atomic.Bool{}
	issuer := bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
		if !up.Load() {
			return bandeira.Result{}, bandeira.ErrIssuerUnavailable
		}
		return bandeira.Result{Code: bandeira.Approved}, nil
	})
	n := newStandInNet(t, issuer)
	n.fwd.holding = true
	orig := request(bbCard, "000001", 5000)
	res, err := n.r.Authorize(context.Background(), orig)
	require.NoError(t, err)
	require.Equal(t, bandeira.Approved, res.Code, "approved in stand-in, its advice queued")
	up.Store(true)
	partial := request(bbCard, "000002", 5000)
	partial.MTI, partial.Original = bandeira.MTIReversal, &bandeira.OriginalData{MTI: "0100", STAN: "000001",
		TransmissionTime: "1126130000", AcquirerID: "10000000001"}
	kept := bandeira.Amount(2000)
	partial.Replacement = &kept
	completion := partial
	completion.MTI, completion.STAN, completion.Replacement = "0221", "000003", nil
	calls := n.bb.calls.Load()

	t.Run("stored behind the advice, in the issuer's queue, and answered 91", func(t *testing.T) {
		for _, a := range []bandeira.Authorization{partial, completion} {
			_, err := n.r.Authorize(context.Background(), a)
			require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable, "%s", a.MTI)
		}
		require.Equal(t, calls, n.bb.calls.Load(), "the issuer was not called")
		q := n.fwd.queued()
		require.Len(t, q, 3)
		require.Equal(t, bandeira.MTIAuthorizationAdvice, q[0].msg.MTI)
		require.Equal(t, bandeira.MTIReversalAdvice, q[1].msg.MTI)
		require.Equal(t, &kept, q[1].msg.Replacement, "a partial reversal stays partial")
		require.Equal(t, bandeira.MTIFinancialAdvice, q[2].msg.MTI)
		for _, m := range q {
			require.Equal(t, "network:visa->issuer:bb", m.queue)
			require.Equal(t, orig.Key().Normal(), m.msg.OriginalKey().Normal())
		}
	})
	t.Run("sent to the issuer once the queue has delivered the advice", func(t *testing.T) {
		n.fwd.deliver()
		res, err := n.r.Authorize(context.Background(), partial)
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, calls+1, n.bb.calls.Load())
	})
}
