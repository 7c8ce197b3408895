package network

import (
	"context"
	"errors"
	"fmt"

	"github.com/bandeira/bandeira"
)

// Forwarder keeps messages for an issuer until it takes them: store-and-forward
// (internal/saf's Store). Enqueue returns once a is durably queued on queue; the queue
// delivers it, and repeats it, until the issuer answers, the messages naming one original
// in the order they were queued. Holds reports whether queue still holds a message about
// the transaction whose original has key k (bandeira.Authorization.OriginalKey).
type Forwarder interface {
	Enqueue(ctx context.Context, queue string, a bandeira.Authorization) error
	Holds(queue string, k bandeira.Key) bool
}

// errBehind is why a reversal or completion is not sent to its issuer now: the issuer's
// queue still holds a message about its original, which it must not overtake.
var errBehind = errors.New("network: queued behind the messages the issuer has yet to take about its original")

// behind stores the reversal or completion a for the issuer behind the messages the
// issuer's queue still holds about its original (the advice of a stand-in approval, an
// earlier reversal), rather than sending it now and overtaking them: the queue delivers it
// once they are answered. The caller gets no decision (91); its repeat, once the queue has
// delivered them, goes to the issuer and is answered as the issuer applies it.
func (r *Router) behind(ctx context.Context, is *issuer, a bandeira.Authorization) (bandeira.Result, error) {
	r.log.Debug().Str("issuer", is.name).Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
		Msg("queued behind the issuer's pending messages about its original")
	r.forward(ctx, is, queuedFollowUp(a))
	return bandeira.Result{}, unavailable(is, errBehind)
}

// gaveUp handles a request the issuer gave no decision on (res is its 91, when err is
// nil). If the caller gave up first, the caller owns the outcome. Otherwise the network
// does: it stands in when the issuer is late, unreachable or signed off and its rules
// cover the request; else it answers as the issuer did (91) and stores for the issuer the
// reversal of anything that may have posted there. It takes a by value, so that only this
// rare path copies it to the heap.
func (r *Router) gaveUp(ctx context.Context, is *issuer, req bandeira.Authorization, product bandeira.Product,
	res bandeira.Result, err error) (bandeira.Result, error) {
	a := &req
	reason := r.failed(is, a, err)
	if ctx.Err() == nil {
		if r.store != nil && reason.Valid() && standsInFor(a) && is.rules.Enabled {
			return r.standIn(ctx, is, a, product, reason)
		}
		if m, ok := giveUpMessage(a); ok {
			r.forward(ctx, is, m)
		}
	}
	if err == nil { // the issuer's own 91, relayed
		if res.Brand == "" {
			res.Brand = r.brand
		}
		if res.Issuer == "" {
			res.Issuer = is.name
		}
		return res, nil
	}
	return bandeira.Result{}, unavailable(is, err)
}

// standIn decides a on is's behalf, records the decision, stores its advice (approved) or
// the original's reversal (declined) for the issuer, and only then answers.
func (r *Router) standIn(ctx context.Context, is *issuer, a *bandeira.Authorization, product bandeira.Product,
	reason bandeira.StandInReason) (bandeira.Result, error) {
	// The decision and its message must reach the disk even if the caller gives up now.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	d, repeat, err := r.store.decide(dctx, standInRequest{a: a, issuer: is.name, product: product, rules: is.rules, reason: reason})
	if err != nil {
		r.log.Error().Err(err).Str("issuer", is.name).Str("stan", a.STAN).Msg("could not stand in")
		return bandeira.Result{}, unavailable(is, err)
	}
	if d == nil {
		return bandeira.Result{Code: bandeira.DuplicateTransmission, Brand: r.brand, Issuer: is.name}, nil
	}
	if !repeat {
		r.counted(is, a, d)
	}
	return r.answer(dctx, is, a, d, product)
}

// decidedBefore answers a request whose key the network already stood in for with that
// decision (storing its message for the issuer again, which the issuer applies once), or
// 94 when the body differs; done is false when the key was never stood in for.
func (r *Router) decidedBefore(ctx context.Context, is *issuer, req bandeira.Authorization, product bandeira.Product) (bandeira.Result, bool, error) {
	a := &req
	d, same, err := r.store.previous(ctx, a)
	switch {
	case err != nil:
		return bandeira.Result{}, true, unavailable(is, err)
	case d == nil:
		return bandeira.Result{}, false, nil
	case !same:
		return bandeira.Result{Code: bandeira.DuplicateTransmission, Brand: r.brand, Issuer: is.name}, true, nil
	}
	res, err := r.answer(ctx, is, a, d, product)
	return res, true, err
}

// answer stores d's message for the issuer, then returns d as a result. An approval whose
// advice cannot be stored is not given: the caller gets an error (91) and reverses.
func (r *Router) answer(ctx context.Context, is *issuer, a *bandeira.Authorization, d *StandIn, product bandeira.Product) (bandeira.Result, error) {
	m := reversalOf(a)
	if d.Approved() {
		m = adviceOf(a, d)
	}
	if err := r.fwd.Enqueue(ctx, is.queue, m); err != nil {
		r.log.Error().Err(err).Str("issuer", is.name).Str("stan", a.STAN).Str("mti", string(m.MTI)).
			Msg("could not store the stand-in's message for the issuer; answering 91")
		return bandeira.Result{}, unavailable(is, fmt.Errorf("storing the stand-in %s: %w", m.MTI, err))
	}
	return bandeira.Result{Code: d.Code, AuthCode: d.AuthCode, Product: product, Issuer: is.name, Brand: r.brand,
		StandIn: d.Reason}, nil
}

// counted counts and logs a new stand-in decision.
func (r *Router) counted(is *issuer, a *bandeira.Authorization, d *StandIn) {
	r.m.StandIn.WithLabelValues(string(r.brand), is.name, d.Reason.String(), string(d.Code)).Inc()
	if d.Approved() {
		r.m.StandInAmount.WithLabelValues(string(r.brand), is.name).Add(float64(d.Amount))
	}
	r.log.Debug().Str("issuer", is.name).Str("reason", d.Reason.String()).Str("rule", d.Rule).
		Str("response_code", string(d.Code)).Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
		Stringer("pan", a.PAN).Msg("stood in for the issuer")
}

// forward stores m for the issuer, logging a failure: it is best effort for the caller,
// who gets 91 either way and owns its own reversal.
func (r *Router) forward(ctx context.Context, is *issuer, m bandeira.Authorization) {
	if r.fwd == nil {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	if err := r.fwd.Enqueue(fctx, is.queue, m); err != nil {
		r.log.Error().Err(err).Str("issuer", is.name).Str("stan", m.STAN).Str("mti", string(m.MTI)).
			Msg("could not store a reversal for the issuer")
	}
}

// failed counts and logs an issuer call that gave no decision (err nil: it answered 91)
// and returns why, as a stand-in reason; zero for an error that is none of them.
func (r *Router) failed(is *issuer, a *bandeira.Authorization, err error) bandeira.StandInReason {
	label, reason, counter := ReasonError, bandeira.StandInReason(0), is.m.errors
	switch {
	case err == nil:
		label, reason, counter = ReasonUnavailable, bandeira.StandInUnreachable, is.m.unavailable
	case errors.Is(err, bandeira.ErrSignedOff):
		label, reason, counter = ReasonSignedOff, bandeira.StandInSignedOff, is.m.signedOff
	case errors.Is(err, context.DeadlineExceeded):
		label, reason, counter = ReasonTimeout, bandeira.StandInTimeout, is.m.timeouts
	case errors.Is(err, bandeira.ErrIssuerUnavailable), errors.Is(err, bandeira.ErrOverloaded):
		label, reason, counter = ReasonUnavailable, bandeira.StandInUnreachable, is.m.unavailable
	}
	counter.Inc()
	// An unreachable or signed-off issuer is a link state, which the link logs once per
	// change; a timeout or an error is news about this request.
	ev := r.log.Warn()
	if label == ReasonUnavailable || label == ReasonSignedOff {
		ev = r.log.Debug()
	}
	if err == nil {
		ev = ev.Str("response_code", string(bandeira.IssuerUnavailable))
	}
	ev.Err(err).Str("issuer", is.name).Str("reason", label).
		Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
		Msg("issuer gave no decision")
	return reason
}

// unavailable returns the error to hand back for a failed issuer call, which always wraps
// bandeira.ErrIssuerUnavailable and the issuer's own error.
func unavailable(is *issuer, err error) error {
	if errors.Is(err, bandeira.ErrIssuerUnavailable) {
		return fmt.Errorf("authorizing at issuer %s: %w", is.name, err)
	}
	return fmt.Errorf("authorizing at issuer %s: %w: %w", is.name, bandeira.ErrIssuerUnavailable, err)
}
