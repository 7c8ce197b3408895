package ledger

import (
	"time"

	"github.com/bandeira/bandeira"
)

// DefaultHoldExpiry is how long an authorization hold stays open, in ledger time, before
// it expires and releases its money: 7 days.
const DefaultHoldExpiry = 7 * 24 * time.Hour

// Engine is the posting rules of an issuer's ledger, once for every store: what a Hold,
// Debit, Credit, Reverse or Capture does to an account and to the request remembered under
// its key, when a hold expires, and how PIN failures count. Its methods are pure: no I/O,
// no locking, no state of their own. A store (Memory, the SQLite books) looks up what a
// decision needs, calls the engine under its own lock and applies the Changes it returns.
// docs/ledger.md lists the postings each decision makes.
type Engine struct {
	// HoldExpiry is how long a hold stays open in ledger time; 0 means DefaultHoldExpiry.
	HoldExpiry time.Duration
}

// Input is what the engine decides an entry on.
type Input struct {
	// Entry is the entry, valid (Entry.Validate) and with its key in normal form.
	Entry Entry
	// Account is the account Entry.Ref names: as stored, or NewAccount(Entry.Ref) when
	// the store has never seen it.
	Account Account
	// Request is the request remembered under Entry.Key (for Reverse and Capture, the
	// original), or nil. Apply does not change it: the changed copy is in Changes.
	Request *Request
	// Tombstoned: a reversal of Entry.Key came before any request under it.
	Tombstoned bool
	// At is the ledger time, Unix nanoseconds.
	At int64
}

// Apply decides one entry and returns its outcome and what it changes. Hold, Debit and
// Credit under a new key open the account if needed and are remembered, approved or
// declined (insufficient funds; a tombstoned key, StatusTombstoned); under a known key they
// answer StatusDuplicate, or StatusConflict when the card, kind or amount differ. Reverse
// and Capture act on the original's money; a reversal of nothing leaves a tombstone.
// Holds due to expire must have been expired first (Expire).
func (g Engine) Apply(in Input) (Outcome, Changes) {
	switch in.Entry.Kind {
	case Reverse:
		return g.reverse(in)
	case Capture:
		return g.capture(in)
	default:
		return g.post(in)
	}
}

// ExpiresAt returns the ledger time at which a hold placed at placed expires.
func (g Engine) ExpiresAt(placed int64) int64 {
	ttl := g.HoldExpiry
	if ttl <= 0 {
		ttl = DefaultHoldExpiry
	}
	return placed + int64(ttl)
}

// Due reports whether r is an open hold whose expiry has come at ledger time at.
func (g Engine) Due(r *Request, at int64) bool {
	return r.Kind == Hold && r.State == StateOpen && g.ExpiresAt(r.At) <= at
}

// Expire releases the open hold r, which is on account a, back to the card. It returns
// false, and no changes, when r is not an open hold.
func (g Engine) Expire(a Account, r *Request) (Changes, bool) {
	ch := Changes{Account: a}
	if r.Kind != Hold || r.State != StateOpen {
		return ch, false
	}
	q := *r
	if q.Open > 0 {
		ch.move(PostExpire, Holds, Card, q.Open)
	}
	q.Open, q.State = 0, StateExpired
	ch.Request, ch.RequestChanged = q, true
	return ch, true
}

// PINTry records one PIN check on account a and returns the consecutive failures after
// it: a correct PIN resets the count, a wrong one adds 1 (opening the account if needed).
func (g Engine) PINTry(a Account, ok bool) (int, Changes) {
	ch := Changes{Account: a}
	switch {
	case ok && ch.Account.PINFailures == 0:
		return 0, ch
	case ok:
		ch.Account.PINFailures = 0
	default:
		ch.open()
		ch.Account.PINFailures++
	}
	ch.PINChanged = true
	return ch.Account.PINFailures, ch
}

// post decides a Hold, Debit or Credit.
func (g Engine) post(in Input) (Outcome, Changes) {
	e, ch := in.Entry, Changes{Account: in.Account}
	if r := in.Request; r != nil {
		st := StatusDuplicate
		if r.Account != e.Ref.ID || r.Kind != e.Kind || r.Amount != e.Amount {
			st = StatusConflict
		}
		return outcome(st, &ch.Account, r, 0), ch
	}
	ch.open()
	r := Request{Key: e.Key, Account: e.Ref.ID, Kind: e.Kind, Amount: e.Amount, Status: StatusApplied,
		State: StateDeclined, At: in.At}
	switch {
	case in.Tombstoned:
		r.Status = StatusTombstoned
	case e.Kind != Credit && ch.Account.Available() < e.Amount:
		r.Status = StatusInsufficientFunds
	default:
		r.AuthCode, r.Open, r.State = e.AuthCode, e.Amount, StateOpen
		switch e.Kind {
		case Hold:
			ch.move(PostHold, Card, Holds, e.Amount)
		case Debit:
			ch.move(PostDebit, Card, Settlement, e.Amount)
		case Credit:
			ch.move(PostCredit, Settlement, Card, e.Amount)
		}
	}
	ch.Request, ch.NewRequest = r, true
	return outcome(r.Status, &ch.Account, &r, 0), ch
}

// outcome builds the Outcome of a decision on account a about request r (nil: none).
func outcome(st Status, a *Account, r *Request, released bandeira.Amount) Outcome {
	out := Outcome{Status: st, Balances: a.Balances(), Released: released}
	if r != nil {
		out.Record = r.Record()
	}
	return out
}
