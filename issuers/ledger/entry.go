package ledger

import (
	"errors"
	"fmt"

	"github.com/bandeira/bandeira"
)

// ErrInvalidEntry reports an entry a ledger cannot perform: an unknown kind or a
// non-positive amount. Nothing changes.
var ErrInvalidEntry = errors.New("ledger: invalid entry")

// Kind is what an Entry does to an account.
type Kind uint8

// The entry kinds.
const (
	// Hold reserves Amount against the available balance (an 0100 authorization). It fails
	// with StatusInsufficientFunds when Available < Amount.
	Hold Kind = iota + 1
	// Debit posts Amount at once (an 0200 financial request). It fails with
	// StatusInsufficientFunds when Available < Amount.
	Debit
	// Credit posts Amount to the account with no funds check (a refund).
	Credit
	// Reverse undoes the entry recorded under Key: it releases a hold, credits back a debit
	// or debits back a credit. With Replacement set, only the part above the replacement
	// amount is undone (a partial reversal).
	Reverse
	// Capture completes the hold recorded under Key (a 0220 completion advice): it posts
	// min(Amount, what is still held) to the issuer's settlement and releases the rest. A
	// hold is captured, reversed or expired at most once; Amount must be > 0.
	Capture
)

// String returns the kind's name, e.g. "hold".
func (k Kind) String() string {
	switch k {
	case Hold:
		return "hold"
	case Debit:
		return "debit"
	case Credit:
		return "credit"
	case Reverse:
		return "reverse"
	case Capture:
		return "capture"
	default:
		return "unknown"
	}
}

// Entry is one change to one account, applied atomically by Ledger.Apply.
type Entry struct {
	Ref  Ref
	Kind Kind
	// Key is the request's own key for Hold, Debit and Credit (stored with the record), and
	// the original request's key for Reverse and Capture (bandeira.Authorization.OriginalKey).
	// Ledgers compare keys in normal form (bandeira.Key.Normal) and normalise it themselves.
	Key bandeira.Key
	// Amount in centavos; must be > 0 for Hold, Debit and Credit. Unused by Reverse.
	Amount bandeira.Amount
	// AuthCode is stored with the record of a Hold, Debit or Credit.
	AuthCode string
	// Replacement is the actual amount that remains after a partial reversal (field 95);
	// nil for a full reversal. Unused by other kinds.
	Replacement *bandeira.Amount
}

// Validate returns ErrInvalidEntry (wrapped) for an entry of an unknown kind, or a Hold,
// Debit, Credit or Capture whose amount is not positive.
func (e *Entry) Validate() error {
	switch e.Kind {
	case Hold, Debit, Credit, Capture:
		if e.Amount <= 0 {
			return fmt.Errorf("applying %s of %s: %w", e.Kind, e.Amount, ErrInvalidEntry)
		}
	case Reverse:
	default:
		return fmt.Errorf("applying entry kind %d: %w", e.Kind, ErrInvalidEntry)
	}
	return nil
}

// Status says how an entry ended. Every status except StatusApplied left the account as it
// was.
type Status uint8

// The entry statuses.
const (
	// StatusApplied: the entry changed the account as asked. For Reverse, Released says how
	// much was undone.
	StatusApplied Status = iota + 1
	// StatusInsufficientFunds: a Hold or Debit exceeded Available (the request is
	// remembered as declined, and stays declined), or the debit-back of a reversed credit
	// did.
	StatusInsufficientFunds
	// StatusDuplicate: a request with the same Key, card, kind and amount is remembered;
	// Outcome.Record describes it and its first answer.
	StatusDuplicate
	// StatusNotFound: Reverse or Capture found no approved request under Key: none (a
	// Reverse then leaves a tombstone), or a declined one.
	StatusNotFound
	// StatusAlreadyReversed: Reverse or Capture found the record already resolved: reversed
	// (fully or partially), captured or expired.
	StatusAlreadyReversed
	// StatusConflict: the Key is already bound to a different request (another account,
	// kind or amount), or a Capture named a record that is not a hold. Nothing changed.
	StatusConflict
	// StatusTombstoned: a reversal for Key arrived before this original; the original is
	// declined and remembered so, with no effect on the account, so that the pair nets to
	// zero (docs/ledger.md).
	StatusTombstoned
)

// String returns the status's name, e.g. "applied".
func (s Status) String() string {
	switch s {
	case StatusApplied:
		return "applied"
	case StatusInsufficientFunds:
		return "insufficient_funds"
	case StatusDuplicate:
		return "duplicate"
	case StatusNotFound:
		return "not_found"
	case StatusAlreadyReversed:
		return "already_reversed"
	case StatusConflict:
		return "conflict"
	case StatusTombstoned:
		return "tombstoned"
	default:
		return "unknown"
	}
}

// Record is what a ledger reports about the Hold, Debit or Credit under an entry's key (a
// Request, in the Outcome).
type Record struct {
	Kind     Kind
	Amount   bandeira.Amount // the amount originally applied
	Open     bandeira.Amount // the amount still in effect (held or posted)
	AuthCode string
	Reversed bool
	// Status is the outcome the request under this key got the first time: StatusApplied,
	// StatusInsufficientFunds or StatusTombstoned.
	Status Status
}

// Outcome is the result of Apply.
type Outcome struct {
	Status Status
	// Balances of the entry's account after the entry (unchanged unless Status is
	// StatusApplied).
	Balances Balances
	// Record is the record the entry created or touched: for StatusDuplicate the existing
	// one, for Reverse the original's (as it is after the entry).
	Record Record
	// Released is the amount a Reverse undid, or the part of the hold a Capture released,
	// in centavos.
	Released bandeira.Amount
}
