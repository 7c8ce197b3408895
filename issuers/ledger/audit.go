package ledger

import (
	"errors"
	"fmt"

	"github.com/bandeira/bandeira"
)

// maxViolations is how many violations Audit reports at most.
const maxViolations = 10

// Audit checks the invariants of docs/ledger.md on the whole ledger: the postings sum to
// zero and agree with the cards' balances and held amounts; every request's open amount
// lies between 0 and its amount, an approved one is open or captured exactly while it has
// money in effect and a declined one moved nothing; every card's held amount is the sum of
// its open holds; no card's available balance is below zero by more than the stand-in
// approvals on it. It returns nil or one error per
// violation (at most 10), joined, each wrapping ErrInvariant. Errors name accounts only in
// masked form.
func (m *Memory) Audit() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	report := func(format string, args ...any) {
		if len(errs) < maxViolations {
			errs = append(errs, fmt.Errorf(format+": %w", append(args, ErrInvariant)...))
		}
	}
	var sum bandeira.Amount
	for _, t := range m.totals {
		sum += t
	}
	if sum != 0 {
		report("postings sum to %s, not zero", sum)
	}
	held, standIn := m.auditRequests(report)
	var balances, holds bandeira.Amount
	for id, a := range m.accounts {
		balances += a.Balance
		holds += a.Held
		switch {
		case a.Held != held[id]:
			report("account %s holds %s, its open holds %s", id, a.Held, held[id])
		case a.Available()+standIn[id] < 0:
			report("account %s available %s below zero beyond its stand-in approvals", id, a.Available())
		}
	}
	if balances != m.totals[Card] || holds != m.totals[Holds] {
		report("cards hold %s and %s held, postings say %s and %s", balances, holds, m.totals[Card], m.totals[Holds])
	}
	return errors.Join(errs...)
}

// auditRequests checks every request and returns, per account, the open holds' sum and
// what the network's stand-in approved.
func (m *Memory) auditRequests(report func(string, ...any)) (held, standIn map[AccountID]bandeira.Amount) {
	held, standIn = make(map[AccountID]bandeira.Amount), make(map[AccountID]bandeira.Amount)
	for _, r := range m.requests {
		approved := r.Status == StatusApplied
		inEffect := r.State == StateOpen || r.State == StateCaptured
		switch {
		case r.Open < 0 || r.Open > r.Amount:
			report("request on %s open %s outside 0..%s", r.Account, r.Open, r.Amount)
		case approved && inEffect != (r.Open > 0):
			report("request on %s in state %d with %s open", r.Account, r.State, r.Open)
		case approved && (r.State == StateCaptured) && r.Kind != Hold:
			report("request on %s of kind %s captured", r.Account, r.Kind)
		case !approved && (r.State != StateDeclined || r.Open != 0):
			report("declined request on %s in state %d with %s open", r.Account, r.State, r.Open)
		}
		if r.Kind == Hold && r.State == StateOpen {
			held[r.Account] += r.Open
		}
		if approved && r.StandIn {
			standIn[r.Account] += r.Amount
		}
	}
	return held, standIn
}
