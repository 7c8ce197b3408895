package ledger

import (
	"fmt"

	"github.com/bandeira/bandeira"
)

// account is the mutable state of one card account. Its methods run under the shard lock.
type account struct {
	opening     Opening
	balance     bandeira.Amount
	holds       bandeira.Amount
	debited     bandeira.Amount // total ever debited (postings and reversed credits)
	credited    bandeira.Amount // total ever credited (refunds and reversed debits)
	pinFailures int
	records     map[bandeira.Key]Record
	order       []bandeira.Key // ring of record keys, oldest at head once full
	head        int
}

func newAccount(o Opening) *account {
	return &account{opening: o, balance: o.Balance}
}

func (a *account) balances() Balances {
	return Balances{Balance: a.balance, Holds: a.holds, CreditLimit: a.opening.CreditLimit}
}

func (a *account) outcome(st Status, r Record, released bandeira.Amount) Outcome {
	return Outcome{Status: st, Balances: a.balances(), Record: r, Released: released}
}

// post applies a Hold, Debit or Credit and records it under e.Key.
func (a *account) post(e Entry, limit int) Outcome {
	if r, ok := a.records[e.Key]; ok {
		return a.outcome(StatusDuplicate, r, 0)
	}
	if e.Kind != Credit && a.balances().Available() < e.Amount {
		return a.outcome(StatusInsufficientFunds, Record{}, 0)
	}
	switch e.Kind {
	case Hold:
		a.holds += e.Amount
	case Debit:
		a.balance -= e.Amount
		a.debited += e.Amount
	case Credit:
		a.balance += e.Amount
		a.credited += e.Amount
	}
	r := Record{Kind: e.Kind, Amount: e.Amount, Open: e.Amount, AuthCode: e.AuthCode, Status: StatusApplied}
	a.remember(e.Key, r, limit)
	return a.outcome(StatusApplied, r, 0)
}

// reverse undoes the record under e.Key, down to e.Replacement when set.
func (a *account) reverse(e Entry) Outcome {
	r, ok := a.records[e.Key]
	switch {
	case !ok:
		return a.outcome(StatusNotFound, Record{}, 0)
	case r.Reversed:
		return a.outcome(StatusAlreadyReversed, r, 0)
	}
	var remaining bandeira.Amount
	if e.Replacement != nil {
		remaining = min(max(*e.Replacement, 0), r.Open)
	}
	release := r.Open - remaining
	switch r.Kind {
	case Hold:
		a.holds -= release
	case Debit:
		a.balance += release
		a.credited += release
	case Credit:
		if a.balances().Available() < release {
			return a.outcome(StatusInsufficientFunds, r, 0)
		}
		a.balance -= release
		a.debited += release
	}
	r.Open, r.Reversed = remaining, true
	a.records[e.Key] = r
	return a.outcome(StatusApplied, r, release)
}

// remember stores r under k, evicting the oldest record when the account already keeps
// limit records. An evicted hold expires: whatever it still holds is released.
func (a *account) remember(k bandeira.Key, r Record, limit int) {
	if a.records == nil {
		a.records = make(map[bandeira.Key]Record, 4)
	}
	if len(a.order) < limit {
		a.order = append(a.order, k)
	} else {
		old := a.order[a.head]
		if o := a.records[old]; o.Kind == Hold {
			a.holds -= o.Open
		}
		delete(a.records, old)
		a.order[a.head] = k
		a.head = (a.head + 1) % limit
	}
	a.records[k] = r
}

func (a *account) audit() error {
	var held bandeira.Amount
	for _, r := range a.records {
		if r.Open < 0 || r.Open > r.Amount {
			return fmt.Errorf("record open amount %s outside 0..%s: %w", r.Open, r.Amount, ErrInvariant)
		}
		if r.Kind == Hold {
			held += r.Open
		}
	}
	switch {
	case a.holds < 0:
		return fmt.Errorf("holds %s below zero: %w", a.holds, ErrInvariant)
	case a.holds != held:
		return fmt.Errorf("holds %s differ from open hold records %s: %w", a.holds, held, ErrInvariant)
	case a.balance != a.opening.Balance+a.credited-a.debited:
		return fmt.Errorf("balance %s differs from opening+credits-debits: %w", a.balance, ErrInvariant)
	case a.balances().Available() < 0:
		return fmt.Errorf("available %s below zero: %w", a.balances().Available(), ErrInvariant)
	}
	return nil
}

// capture completes the hold under e.Key: min(e.Amount, open) is posted as a debit and the
// rest of the hold is released. The record is then resolved (Reversed, Open 0).
func (a *account) capture(e Entry) Outcome {
	r, ok := a.records[e.Key]
	switch {
	case !ok:
		return a.outcome(StatusNotFound, Record{}, 0)
	case r.Kind != Hold:
		return a.outcome(StatusConflict, r, 0)
	case r.Reversed:
		return a.outcome(StatusAlreadyReversed, r, 0)
	}
	captured := min(e.Amount, r.Open)
	a.holds -= r.Open
	a.balance -= captured
	a.debited += captured
	released := r.Open - captured
	r.Open, r.Reversed = 0, true
	a.records[e.Key] = r
	return a.outcome(StatusApplied, r, released)
}
