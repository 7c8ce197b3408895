package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/bandeira/bandeira"
)

// Reversals is the durable queue the gateway's automatic reversals go through
// (store-and-forward: internal/saf's Store satisfies it). Enqueue returns once the message
// is committed to be delivered on the named queue; the queue's sender delivers it, repeats
// it until it is answered, and survives restarts. Implementations are safe for concurrent
// use.
type Reversals interface {
	Enqueue(ctx context.Context, queue string, a bandeira.Authorization) error
}

// WithReversals has the gateway reverse, through q, every request whose outcome it cannot
// stand behind: see Gateway.Authorize. The queues (ReversalQueue, one per brand) must be
// started with ReversalDeliverer.
func WithReversals(q Reversals) Option { return func(g *Gateway) { g.reversals = q } }

// ReversalQueue names the store-and-forward queue of the gateway's reversals to brand's
// network: "gateway->network:<brand>".
func ReversalQueue(brand bandeira.Brand) string { return "gateway->network:" + string(brand) }

// Reasons for an automatic reversal: the values of the reason label of
// bandeira_gateway_auto_reversals_total.
const (
	reasonNoDecision  = "no_decision" // answered 91: the network timed out, could not be reached, or answered 91
	reasonNotBooked   = "not_booked"  // an approval the acquirer could not journal or the key store record: answered 96
	reasonUndelivered = "undelivered" // an approval the front door could not write to its client
)

var reversalReasons = [...]string{reasonNoDecision, reasonNotBooked, reasonUndelivered}

// enqueueTimeout bounds the commit of one automatic reversal.
const enqueueTimeout = 5 * time.Second

// reversible reports whether a is a request the gateway reverses when it cannot stand
// behind its outcome: an 0100 or 0200 (or repeat) that can move money, so not a balance
// inquiry and not of amount 0 (an account verification holds nothing).
func reversible(a *bandeira.Authorization) bool {
	c := a.MTI.Class()
	return (c == '1' || c == '2') && a.MTI[2] == '0' && !a.IsBalanceInquiry() && a.Amount > 0
}

// autoReverse enqueues the reversal of a, whose answer res (empty when none came) the
// gateway cannot stand behind, on its brand's queue. A failure to enqueue is logged and
// counted: nothing else can be done for it.
func (g *Gateway) autoReverse(ctx context.Context, a *bandeira.Authorization, res bandeira.Result, reason string) {
	if g.reversals == nil || !reversible(a) {
		return
	}
	brand := bandeira.BrandOf(a.PAN)
	rev := reversalOf(a, res, g.institutions[res.Issuer])
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enqueueTimeout)
	defer cancel()
	ev := g.log.Warn()
	if err := g.reversals.Enqueue(ctx, ReversalQueue(brand), rev); err != nil {
		g.metrics.autoReversalFailures.Inc()
		ev = g.log.Error().Err(err)
	} else {
		g.metrics.autoReversals.WithLabelValues(reason).Inc()
	}
	ev.Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).Str("brand", string(brand)).
		Str("issuer", res.Issuer).Str("reason", reason).Msg("reversing through store-and-forward")
}

// reversalOf builds the 0400 that reverses a in full: the same card, processing code,
// amount, terminal, merchant and key fields (a reversal is keyed apart from its original,
// so it may carry the original's STAN and field 7, as timeout reversals do), field 90
// naming a, the auth code of an approval, and field 100 when the deciding issuer's
// institution ID is known. The expiry, CVV2, PIN block and track 2 are not carried.
func reversalOf(a *bandeira.Authorization, res bandeira.Result, institution string) bandeira.Authorization {
	rev := bandeira.Authorization{
		MTI: bandeira.MTIReversal, PAN: a.PAN, ProcessingCode: a.ProcessingCode, Amount: a.Amount,
		AmountPresent: true, TransmissionTime: a.TransmissionTime, STAN: a.STAN, LocalTime: a.LocalTime,
		LocalDate: a.LocalDate, AcquirerID: a.AcquirerID, ForwardingID: a.ForwardingID, RRN: a.RRN,
		TerminalID: a.TerminalID, MerchantID: a.MerchantID, Currency: a.Currency,
		Original: &bandeira.OriginalData{MTI: a.MTI.Original(), STAN: a.STAN, TransmissionTime: a.TransmissionTime,
			AcquirerID: a.AcquirerID, ForwardingID: a.ForwardingID},
		ReceivingInstitution: institution,
	}
	if res.Code.Approved() {
		rev.AuthCode = res.AuthCode
	}
	return rev
}

// ReversalDeliverer returns what the store-and-forward queue of brand (ReversalQueue)
// delivers with: brand's network, and, when the network acknowledges a reversal, the
// acquirer's booking of it, so the journal moves as the issuer did (field 95 of the
// answer). A reversal whose booking fails returns an error, so the queue sends it again
// (the issuer answers a repeat the same and changes nothing). A brand without a network
// refuses every message with 15.
func (g *Gateway) ReversalDeliverer(brand bandeira.Brand) bandeira.Authorizer {
	network := g.networks[brand]
	return bandeira.AuthorizerFunc(func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
		if network == nil {
			return bandeira.Result{Code: bandeira.NoSuchIssuer, Brand: brand}, nil
		}
		res, err := network.Authorize(ctx, a)
		if err != nil || !res.Code.Approved() || g.acquirer == nil {
			return res, err
		}
		res.Brand = brand
		if err := g.acquirer.Record(ctx, a, res); err != nil {
			return bandeira.Result{}, fmt.Errorf("booking an acknowledged reversal: %w", err)
		}
		return res, nil
	})
}

// Undelivered tells the gateway that its answer res to a never reached the client (the
// front door could not write it: iso.WithUndelivered). An approval of a request the
// gateway reverses (an 0100 or 0200 that moves money) is reversed through
// store-and-forward, and its key rebound to 91, so that a retransmit is not told that
// what was reversed is approved. Anything else is ignored. It is safe for concurrent use.
func (g *Gateway) Undelivered(a bandeira.Authorization, res bandeira.Result) {
	if a.AcquirerID == "" {
		a.AcquirerID = g.cfg.AcquirerID
	}
	if !res.Code.Approved() || !reversible(&a) {
		return
	}
	failed := bandeira.Result{Code: bandeira.IssuerUnavailable, Brand: res.Brand, Issuer: res.Issuer}
	seen, fp, ok := g.dups.rebind(packKey(a.Key(), a.MTI.Class()), g.now().UnixNano(), failed)
	if ok && g.keys != nil {
		row := keyRow{at: seen, key: a.Key().Normal(), fp: fp, res: failed}
		if err := g.keys.record(context.Background(), row); err != nil {
			g.log.Error().Err(err).Str("stan", a.STAN).Msg("recording an undelivered answer failed")
		}
	}
	g.autoReverse(context.Background(), &a, res, reasonUndelivered)
}

// setReceivingInstitution sets field 100 of a reversal or completion to the institution
// ID of the issuer that decided its original, when the gateway remembers the original's
// answer and knows the issuer; otherwise the field stays as it came (the network then
// routes by BIN).
func (g *Gateway) setReceivingInstitution(a *bandeira.Authorization) {
	if a.Original == nil || (a.MTI.Class() != '4' && a.MTI.Original() != bandeira.MTIFinancialAdvice) {
		return
	}
	res, ok := g.dups.outcome(packKey(a.OriginalKey(), '1'), g.now().UnixNano())
	if !ok {
		return
	}
	if id, known := g.institutions[res.Issuer]; known {
		a.ReceivingInstitution = id
	}
}
