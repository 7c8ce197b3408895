package fault

import (
	"context"
	"fmt"
	"time"

	"github.com/bandeira/bandeira"
)

// Errors a faulty call returns. Both wrap bandeira.ErrIssuerUnavailable, so the edge
// answers 91 as it does for a party that cannot be reached.
var (
	// ErrDown is returned for a call to a party target that is down.
	ErrDown = fmt.Errorf("fault: party down: %w", bandeira.ErrIssuerUnavailable)
	// ErrLinkCut is returned for a call over a link target that is down.
	ErrLinkCut = fmt.Errorf("fault: link cut: %w", bandeira.ErrIssuerUnavailable)
)

// Wrap returns next decorated with t's fault: each call reads the fault set at that moment
// (one atomic load when there is none) and, with none, is next's call unchanged. Wrapping
// creates t's metric series. Wrap panics on an invalid target, a programmer error at
// start-up.
func (r *Registry) Wrap(t Target, next bandeira.Authorizer) bandeira.Authorizer {
	if err := t.Validate(); err != nil {
		panic(fmt.Sprintf("fault: wrapping: %v", err))
	}
	return &authorizer{s: r.slot(t), next: next}
}

// authorizer is an Authorizer with a target's faults in front of it.
type authorizer struct {
	s    *slot
	next bandeira.Authorizer
}

var _ bandeira.Authorizer = (*authorizer)(nil)

// Authorize applies the target's fault, if any, then calls the wrapped Authorizer unless
// the fault answered. A dropped request returns only when ctx ends: callers bound their
// requests with a deadline, as every hop of the network does.
func (a *authorizer) Authorize(ctx context.Context, req bandeira.Authorization) (bandeira.Result, error) {
	f := a.s.fault.Load()
	if f == nil {
		return a.next.Authorize(ctx, req)
	}
	return a.inject(ctx, f, req)
}

func (a *authorizer) inject(ctx context.Context, f *Fault, req bandeira.Authorization) (bandeira.Result, error) {
	s := a.s
	if f.Down {
		s.count(injectedDown)
		if _, _, link := s.target.Link(); link {
			return bandeira.Result{}, fmt.Errorf("calling over %s: %w", s.target, ErrLinkCut)
		}
		return bandeira.Result{}, fmt.Errorf("calling %s: %w", s.target, ErrDown)
	}
	drop, delay := s.draw(f)
	if drop {
		s.count(injectedDrop)
		<-ctx.Done()
		return bandeira.Result{}, fmt.Errorf("dropping a request to %s: %w", s.target, ctx.Err())
	}
	if delay > 0 {
		s.count(injectedLatency)
		if err := sleep(ctx, delay); err != nil {
			return bandeira.Result{}, fmt.Errorf("delaying a request to %s: %w", s.target, err)
		}
	}
	if f.Code != "" && decides(req.MTI) {
		s.count(injectedCode)
		return forced(s.target, f.Code), nil
	}
	return a.next.Authorize(ctx, req)
}

// decides reports whether mti asks for a decision that a forced code can answer: an
// authorization or financial request (0100, 0200) or its repeat. Advices (0120, 0220) and
// reversals (04xx) go on to the party: their sender takes any answer as "applied", so a
// forced answer would tell it so when nothing was.
func decides(mti bandeira.MTI) bool {
	c := mti.Class()
	return (c == '1' || c == '2') && len(mti) == 4 && mti[2] == '0'
}

// sleep waits d or until ctx ends, whose error it returns.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// forced is the answer of t's answering party with code: the issuer's name or the brand
// filled in, as the party would.
func forced(t Target, code bandeira.ResponseCode) bandeira.Result {
	res := bandeira.Result{Code: code}
	switch role := t.Answerer(); roleKind(role) {
	case kindIssuer:
		res.Issuer = role[len(kindIssuer)+1:]
	case kindNetwork:
		res.Brand = bandeira.Brand(role[len(kindNetwork)+1:])
	}
	return res
}
