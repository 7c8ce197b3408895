package ledger

import "github.com/bandeira/bandeira"

// reverse brings the original down to the entry's replacement amount (field 95; nil:
// zero): the amount in effect becomes min(amount in effect, replacement), so a chain of
// partial and full reversals applies in any order, and a repeat or a late retransmit of
// an earlier one changes nothing. It acts on the original's account. A reversal with no
// original leaves a tombstone (and opens no account), so that the original, when it
// comes, is declined; a reversal of a declined original is remembered on it, so that a
// later stand-in advice does not post it.
func (g Engine) reverse(in Input) (Outcome, Changes) {
	e, r, ch := &in.Entry, in.Request, Changes{Account: in.Account}
	switch {
	case r == nil:
		ch.Tombstone = !in.Tombstoned
		return outcome(StatusNotFound, &ch.Account, nil, 0), ch
	case r.Status != StatusApplied:
		if !r.Reversed {
			q := *r
			q.Reversed = true
			ch.Request, ch.RequestChanged = q, true
			return outcome(StatusNotFound, &ch.Account, &q, 0), ch
		}
		return outcome(StatusNotFound, &ch.Account, r, 0), ch
	case r.State != StateOpen && r.State != StateCaptured:
		return outcome(StatusAlreadyReversed, &ch.Account, r, 0), ch
	}
	var remaining bandeira.Amount
	if e.Replacement != nil {
		remaining = min(max(*e.Replacement, 0), r.Open)
	}
	release := r.Open - remaining
	if release == 0 {
		return outcome(StatusAlreadyReversed, &ch.Account, r, 0), ch
	}
	switch {
	case r.Kind == Hold && r.State == StateCaptured:
		ch.move(PostReverseCapture, Settlement, Card, release)
	case r.Kind == Hold:
		ch.move(PostRelease, Holds, Card, release)
	case r.Kind == Debit:
		ch.move(PostReverseDebit, Settlement, Card, release)
	case r.Kind == Credit:
		if ch.Account.Available() < release {
			return outcome(StatusInsufficientFunds, &ch.Account, r, 0), Changes{Account: in.Account}
		}
		ch.move(PostReverseCredit, Card, Settlement, release)
	}
	q := *r
	q.Open, q.Reversed = remaining, true
	if remaining == 0 {
		q.State = StateReversed
	}
	ch.Request, ch.RequestChanged = q, true
	return outcome(StatusApplied, &ch.Account, &q, release), ch
}

// capture completes the original hold: min(Amount, what it still holds) goes to
// settlement and the rest back to the card. The hold is then resolved, and what it
// captured stays in effect (Open) until a reversal gives it back.
func (g Engine) capture(in Input) (Outcome, Changes) {
	e, r, ch := &in.Entry, in.Request, Changes{Account: in.Account}
	switch {
	case r == nil || r.Status != StatusApplied:
		return outcome(StatusNotFound, &ch.Account, r, 0), ch
	case r.Kind != Hold:
		return outcome(StatusConflict, &ch.Account, r, 0), ch
	case r.State != StateOpen:
		return outcome(StatusAlreadyReversed, &ch.Account, r, 0), ch
	}
	captured := min(e.Amount, r.Open)
	released := r.Open - captured
	ch.move(PostCapture, Holds, Settlement, captured)
	if released > 0 {
		ch.move(PostRelease, Holds, Card, released)
	}
	q := *r
	q.Open, q.State = captured, StateCaptured
	ch.Request, ch.RequestChanged = q, true
	return outcome(StatusApplied, &ch.Account, &q, released), ch
}
