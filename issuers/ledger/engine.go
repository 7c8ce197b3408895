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
	// Account is the account the entry acts on: for a Reverse or Capture whose original
	// is remembered, the original's account; otherwise the one Entry.Ref names. As stored,
	// or NewAccount(Entry.Ref) when the store has never seen it.
	Account Account
	// Request is the request remembered under Entry.Key (for Reverse and Capture, the
	// original), or nil. Apply does not change it: the changed copy is in Changes.
	Request *Request
	// Tombstoned: a reversal of Entry.Key came before any request under it.
	Tombstoned bool
	// Seq is the number a new request gets (Request.Seq): the store's next one, never
	// given to another request.
	Seq uint64
	// At is the ledger time, Unix nanoseconds.
	At int64
}

// Apply decides one entry and returns its outcome and what it changes. Hold, Debit,
// Credit and Inquiry under a new key open the account if needed and are remembered,
// approved or declined (a wrong PIN, Entry.Decline, a tombstoned key, insufficient funds,
// in that order); under a known key they answer StatusDuplicate, or StatusConflict when
// the body differs, and a stand-in approval turns a remembered decline into an approval.
// Reverse and Capture act on the original's money and account; a reversal of nothing
// leaves a tombstone. Holds due to expire must have been expired first (Expire).
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

// post decides a Hold, Debit, Credit or Inquiry.
func (g Engine) post(in Input) (Outcome, Changes) {
	e, ch := &in.Entry, Changes{Account: in.Account}
	if r := in.Request; r != nil {
		switch {
		case !sameBody(r, e):
			return outcome(StatusConflict, &ch.Account, r, 0), ch
		case e.StandIn && r.Status != StatusApplied && r.Status != StatusTombstoned && !r.Reversed && !in.Tombstoned:
			return g.standIn(in, r)
		}
		return outcome(StatusDuplicate, &ch.Account, r, 0), ch
	}
	ch.open()
	r := Request{Key: e.Key, Seq: in.Seq, Account: e.Ref.ID, Kind: e.Kind, Amount: e.Amount, Type: e.Type,
		State: StateDeclined, At: in.At}
	switch code := screen(&ch, e); {
	case code != "":
		r.Status, r.Code = StatusDeclined, code
	case in.Tombstoned:
		r.Status = StatusTombstoned
	case e.Kind != Credit && e.Kind != Inquiry && !e.StandIn && ch.Account.Available() < e.Amount:
		r.Status = StatusInsufficientFunds
	default:
		r.StandIn = e.StandIn
		approve(&ch, &r, e)
	}
	ch.Request, ch.NewRequest = r, true
	return outcome(r.Status, &ch.Account, &r, 0), ch
}

// screen applies the entry's PIN check to the account and returns the response code of
// the decline it or the bank decided, or "" when the request may go on.
func screen(ch *Changes, e *Entry) bandeira.ResponseCode {
	a := &ch.Account
	switch e.PIN {
	case PINWrong:
		a.PINFailures++
		ch.PINChanged = true
		if a.PINFailures >= max(e.PINTries, 1) {
			return bandeira.PINTriesExceeded
		}
		return bandeira.IncorrectPIN
	case PINRight:
		if a.PINFailures != 0 {
			a.PINFailures, ch.PINChanged = 0, true
		}
	}
	return e.Decline
}

// approve approves r: its auth code, and the money it moves.
func approve(ch *Changes, r *Request, e *Entry) {
	r.Status, r.Code, r.AuthCode = StatusApplied, "", e.AuthCode
	if r.AuthCode == "" && e.AuthCodes != nil {
		r.AuthCode = e.AuthCodes(r.Seq)
	}
	r.Open, r.State = r.Amount, StateOpen
	switch r.Kind {
	case Hold:
		ch.move(PostHold, Card, Holds, r.Amount)
	case Debit:
		ch.move(PostDebit, Card, Settlement, r.Amount)
	case Credit:
		ch.move(PostCredit, Settlement, Card, r.Amount)
	default:
		r.Open, r.State = 0, StateAnswered
	}
}

// standIn approves r, remembered as declined, because the network's stand-in approved it
// (the stand-in decision binds the issuer): its money moves now, even beyond the
// available balance, and a hold expires from now.
func (g Engine) standIn(in Input, r *Request) (Outcome, Changes) {
	ch := Changes{Account: in.Account}
	q := *r
	q.At, q.StandIn = in.At, true
	approve(&ch, &q, &in.Entry)
	ch.Request, ch.RequestChanged = q, true
	return outcome(StatusApplied, &ch.Account, &q, 0), ch
}

// sameBody reports whether e asks what r recorded: the same card, kind, amount and type
// (a type 0 matches any). A stand-in advice is an 0120 whatever its original's class, so
// for it a hold and a debit of the same processing code are the same request.
func sameBody(r *Request, e *Entry) bool {
	if r.Account != e.Ref.ID || r.Amount != e.Amount {
		return false
	}
	if e.StandIn && (r.Kind == Hold || r.Kind == Debit) && (e.Kind == Hold || e.Kind == Debit) {
		return r.Type == 0 || e.Type == 0 || r.Type%1_000_000 == e.Type%1_000_000
	}
	return r.Kind == e.Kind && (r.Type == 0 || e.Type == 0 || r.Type == e.Type)
}

// outcome builds the Outcome of a decision on account a about request r (nil: none).
func outcome(st Status, a *Account, r *Request, released bandeira.Amount) Outcome {
	out := Outcome{Status: st, Balances: a.Balances(), Released: released}
	if r != nil {
		out.Record = r.Record()
	}
	return out
}
