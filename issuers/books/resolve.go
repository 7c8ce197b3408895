package books

import (
	"fmt"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// find returns the approved, unresolved request a Reverse or Capture names, or the status
// to answer instead.
func (s *state) find(e ledger.Entry) (*request, ledger.Status, error) {
	r, err := s.lookup(e.Key)
	if err != nil {
		return nil, 0, err
	}
	st := findStatus(r, e)
	return r, st, nil
}

func findStatus(r *request, e ledger.Entry) ledger.Status {
	switch {
	case r == nil:
		return ledger.StatusNotFound
	case r.account.aid != e.Ref.ID:
		return ledger.StatusConflict
	case r.status != ledger.StatusApplied:
		return ledger.StatusNotFound
	case r.state != stateOpen:
		return ledger.StatusAlreadyReversed
	}
	return 0
}

// reverse undoes the request under e.Key down to e.Replacement. A reversal with no
// original leaves a tombstone so that the original, when it comes, is declined.
func (s *state) reverse(e ledger.Entry, at int64) (ledger.Outcome, error) {
	r, st, err := s.find(e)
	switch {
	case err != nil:
		return ledger.Outcome{}, err
	case st == ledger.StatusNotFound && r == nil:
		if _, ok := s.tombs[e.Key]; !ok {
			s.tombs[e.Key] = struct{}{}
			a := s.account(e.Ref, true, at)
			s.cur.tombs = append(s.cur.tombs, tombstone{key: keyText(e.Key), account: a.id, at: at})
		}
		return s.outcome(st, e.Ref, nil, 0), nil
	case st != 0:
		return s.outcome(st, e.Ref, r, 0), nil
	case r.reversed:
		return s.outcome(ledger.StatusAlreadyReversed, e.Ref, r, 0), nil
	}
	var remaining bandeira.Amount
	if e.Replacement != nil {
		remaining = min(max(*e.Replacement, 0), r.open)
	}
	release, a := r.open-remaining, r.account
	if release > 0 {
		switch r.kind {
		case ledger.Hold:
			s.move(postRelease, s.system[accountHolds], a, release, r, at)
			a.held -= release
		case ledger.Debit:
			s.move(postReverseDebit, s.system[accountSettlement], a, release, r, at)
		case ledger.Credit:
			if a.available() < release {
				return s.outcome(ledger.StatusInsufficientFunds, e.Ref, r, 0), nil
			}
			s.move(postReverseCredit, a, s.system[accountSettlement], release, r, at)
		}
	}
	r.open, r.reversed = remaining, true
	if remaining == 0 {
		r.state = stateReversed
	}
	s.touchRequest(r)
	return s.outcome(ledger.StatusApplied, e.Ref, r, release), nil
}

// capture completes the hold under e.Key: min(e.Amount, open) goes to settlement and the
// rest goes back to the card.
func (s *state) capture(e ledger.Entry, at int64) (ledger.Outcome, error) {
	r, st, err := s.find(e)
	switch {
	case err != nil:
		return ledger.Outcome{}, err
	case st != 0:
		return s.outcome(st, e.Ref, r, 0), nil
	case r.kind != ledger.Hold:
		return s.outcome(ledger.StatusConflict, e.Ref, r, 0), nil
	}
	captured := min(e.Amount, r.open)
	released := r.open - captured
	s.resolve(r, stateCaptured, postCapture, captured, at)
	if released > 0 {
		s.move(postRelease, s.system[accountHolds], r.account, released, r, at)
		r.account.held -= released
	}
	return s.outcome(ledger.StatusApplied, e.Ref, r, released), nil
}

// resolve ends an open hold: amount of it goes to settlement (capture) or back to the
// card (expiry), and the hold closes.
func (s *state) resolve(r *request, st, kind uint8, amount bandeira.Amount, at int64) {
	if amount > 0 {
		to := r.account
		if kind == postCapture {
			to = s.system[accountSettlement]
		}
		s.move(kind, s.system[accountHolds], to, amount, r, at)
		r.account.held -= amount
	}
	r.open, r.state = 0, st
	s.touchRequest(r)
}

// expire releases every open hold older than the hold expiry at ledger time at. An error
// (a due hold could not be read back from disk) leaves it and the later ones queued; the
// holds released before it stay released.
func (s *state) expire(at int64) error {
	for s.holdsHead < len(s.holds) {
		h := s.holds[s.holdsHead]
		if h.at+s.ttl > at {
			break
		}
		r, err := s.request(h.id)
		if err != nil {
			return fmt.Errorf("expiring holds: %w", err)
		}
		if r.state == stateOpen {
			s.resolve(r, stateExpired, postExpire, r.open, at)
		}
		s.holdsHead++
	}
	if s.holdsHead > 1024 && s.holdsHead > len(s.holds)/2 {
		s.holds = append(s.holds[:0], s.holds[s.holdsHead:]...)
		s.holdsHead = 0
	}
	return nil
}

// pinTry records one PIN check and returns the consecutive failures after it.
func (s *state) pinTry(ref ledger.Ref, ok bool, at int64) int {
	a := s.account(ref, !ok, at)
	switch {
	case a == nil:
		return 0
	case ok:
		if a.pin != 0 {
			a.pin = 0
			s.touchAccount(a)
		}
	default:
		a.pin++
		s.touchAccount(a)
	}
	return a.pin
}
