package ledger

import "github.com/bandeira/bandeira"

// original returns the status to answer when a Reverse or Capture cannot act on r, the
// request under its key, or 0 when it can: r is an approved, unresolved request on the
// entry's card.
func original(r *Request, e *Entry) Status {
	switch {
	case r == nil:
		return StatusNotFound
	case r.Account != e.Ref.ID:
		return StatusConflict
	case r.Status != StatusApplied:
		return StatusNotFound
	case r.State != StateOpen:
		return StatusAlreadyReversed
	}
	return 0
}

// reverse undoes the original down to the entry's replacement amount (field 95; nil: all
// of it). A reversal with no original leaves a tombstone, opening the account, so that the
// original, when it comes, is declined.
func (g Engine) reverse(in Input) (Outcome, Changes) {
	e, r, ch := &in.Entry, in.Request, Changes{Account: in.Account}
	if st := original(r, e); st != 0 {
		if r == nil && !in.Tombstoned {
			ch.open()
			ch.Tombstone = true
		}
		return outcome(st, &ch.Account, r, 0), ch
	}
	if r.Reversed {
		return outcome(StatusAlreadyReversed, &ch.Account, r, 0), ch
	}
	var remaining bandeira.Amount
	if e.Replacement != nil {
		remaining = min(max(*e.Replacement, 0), r.Open)
	}
	release := r.Open - remaining
	if release > 0 {
		switch r.Kind {
		case Hold:
			ch.move(PostRelease, Holds, Card, release)
		case Debit:
			ch.move(PostReverseDebit, Settlement, Card, release)
		case Credit:
			if ch.Account.Available() < release {
				return outcome(StatusInsufficientFunds, &ch.Account, r, 0), Changes{Account: in.Account}
			}
			ch.move(PostReverseCredit, Card, Settlement, release)
		}
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
// settlement and the rest back to the card. The hold is then resolved.
func (g Engine) capture(in Input) (Outcome, Changes) {
	e, r, ch := &in.Entry, in.Request, Changes{Account: in.Account}
	if st := original(r, e); st != 0 {
		return outcome(st, &ch.Account, r, 0), ch
	}
	if r.Kind != Hold {
		return outcome(StatusConflict, &ch.Account, r, 0), ch
	}
	captured := min(e.Amount, r.Open)
	released := r.Open - captured
	if captured > 0 {
		ch.move(PostCapture, Holds, Settlement, captured)
	}
	if released > 0 {
		ch.move(PostRelease, Holds, Card, released)
	}
	q := *r
	q.Open, q.State = 0, StateCaptured
	ch.Request, ch.RequestChanged = q, true
	return outcome(StatusApplied, &ch.Account, &q, released), ch
}
