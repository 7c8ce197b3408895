package ledger

import (
	"errors"
	"fmt"

	"github.com/bandeira/bandeira"
)

// ErrInvalidEntry reports an entry a ledger cannot perform: an unknown kind, a negative
// amount, or a zero one on an entry that would move it. Nothing changes.
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
	// Reverse brings the request recorded under Key down to the replacement amount
	// (Replacement; nil: zero): the amount in effect becomes min(amount in effect,
	// replacement), so reversals of one original apply in any order and a repeat changes
	// nothing. It releases a hold, gives back what a captured hold captured, credits back a
	// debit or debits back a credit. It acts on the original's account, whatever Ref names.
	Reverse
	// Capture completes the hold recorded under Key (a 0220 completion advice): it posts
	// min(Amount, what is still held) to the issuer's settlement and releases the rest. A
	// hold is captured, fully reversed or expired at most once; Amount must be > 0. It acts
	// on the hold's account, whatever Ref names.
	Capture
	// Inquiry remembers a request that moves no money (a balance inquiry) under Key,
	// approved or declined like a Hold, so that its key keeps one answer.
	Inquiry
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
	case Inquiry:
		return "inquiry"
	default:
		return "unknown"
	}
}

// Entry is one change to one account, applied atomically by Ledger.Apply.
type Entry struct {
	// Ref is the account of a Hold, Debit, Credit or Inquiry. A Reverse or Capture acts on
	// the account of the request under Key and needs no Ref.
	Ref  Ref
	Kind Kind
	// Key is the request's own key for Hold, Debit, Credit and Inquiry (stored with the
	// record), and the original request's key for Reverse and Capture
	// (bandeira.Authorization.OriginalKey). Ledgers compare keys in normal form
	// (bandeira.Key.Normal) and normalise it themselves.
	Key bandeira.Key
	// Amount in centavos: field 4. Must be > 0 for Capture, and for a Hold, Debit or
	// Credit that is not declined (Decline); never negative. Unused by Reverse.
	Amount bandeira.Amount
	// Type is the message class and processing code of a Hold, Debit, Credit or Inquiry
	// (TypeOf), stored with the record: with Ref, Kind and Amount it is the body a key
	// binds. 0 (unknown) matches any type.
	Type uint32
	// AuthCode is the approval code stored with an approved Hold, Debit, Credit or Inquiry.
	// When it is empty, AuthCodes derives it from the ledger's sequence number of the
	// request, which no other request of the ledger ever has (the books' request id).
	AuthCode  string
	AuthCodes func(seq uint64) string
	// Decline is a decline the bank decided without the ledger (card status, expiry, CVV2,
	// amount, limit, or a stand-in decline): the request is remembered with this response
	// code (StatusDeclined) and moves nothing. It is weighed after a wrong PIN, so a bank
	// sets PIN only when the checks it makes before the PIN passed.
	Decline bandeira.ResponseCode
	// PIN is the outcome of the PIN check, when the request carried a PIN block. The
	// account's count of wrong PINs in a row changes only for a request seen the first
	// time: PINRight resets it, PINWrong adds one and declines 55, or 75 from the
	// PINTries-th in a row.
	PIN      PINCheck
	PINTries int
	// StandIn marks a Hold, Debit or Credit the network approved on the issuer's behalf (an
	// 0120 advice): it is applied even beyond the available balance, and over a decline
	// remembered under Key, unless a reversal of Key came first. AuthCode is the stand-in's.
	StandIn bool
	// Replacement is the amount in effect a reversal leaves (field 95); nil for a full
	// reversal. Unused by other kinds.
	Replacement *bandeira.Amount
}

// PINCheck is the outcome of checking a request's PIN block against the card's PIN.
type PINCheck uint8

// The PIN checks.
const (
	// PINAbsent: no PIN was checked; the count of wrong PINs is neither read nor changed.
	PINAbsent PINCheck = iota
	// PINRight: the PIN is the card's; the count of wrong PINs resets.
	PINRight
	// PINWrong: the PIN is not the card's (or the block does not decode).
	PINWrong
)

// TypeOf returns the Type of a request: its MTI's class digit times 1,000,000 plus its
// processing code (0100 with 000000 is 1000000, 0200 with 200000 is 2200000), or 0 when
// the MTI or the processing code (six digits) is malformed.
func TypeOf(mti bandeira.MTI, processingCode string) uint32 {
	c := mti.Class()
	if c < '1' || c > '9' || len(processingCode) != 6 || !bandeira.IsDigits(processingCode) {
		return 0
	}
	t := uint32(c - '0')
	for i := 0; i < 6; i++ {
		t = t*10 + uint32(processingCode[i]-'0')
	}
	return t
}

// Validate returns ErrInvalidEntry (wrapped) for an entry of an unknown kind, a negative
// amount, a Capture whose amount is not positive, or a Hold, Debit or Credit whose amount
// is not positive and that is not declined.
func (e *Entry) Validate() error {
	switch e.Kind {
	case Hold, Debit, Credit:
		if e.Amount < 0 || e.Amount == 0 && e.Decline == "" {
			return fmt.Errorf("applying %s of %s: %w", e.Kind, e.Amount, ErrInvalidEntry)
		}
	case Capture:
		if e.Amount <= 0 {
			return fmt.Errorf("applying %s of %s: %w", e.Kind, e.Amount, ErrInvalidEntry)
		}
	case Inquiry:
		if e.Amount < 0 {
			return fmt.Errorf("applying %s of %s: %w", e.Kind, e.Amount, ErrInvalidEntry)
		}
	case Reverse:
	default:
		return fmt.Errorf("applying entry kind %d: %w", e.Kind, ErrInvalidEntry)
	}
	return nil
}

// Status says how an entry ended. Every status except StatusApplied left the account's
// money as it was (a PIN check may still have changed its count of wrong PINs).
type Status uint8

// The entry statuses.
const (
	// StatusApplied: the entry changed the account as asked (a Hold, Debit or Credit
	// approved, also by a stand-in advice over a decline; an Inquiry approved; a Reverse
	// or Capture that moved money). Released says how much a Reverse undid.
	StatusApplied Status = iota + 1
	// StatusInsufficientFunds: a Hold or Debit exceeded Available (the request is
	// remembered as declined, and stays declined), or the debit-back of a reversed credit
	// did (nothing changed).
	StatusInsufficientFunds
	// StatusDuplicate: a request with the same Key and body (card, kind, amount, type) is
	// remembered; Outcome.Record describes it and its answer.
	StatusDuplicate
	// StatusNotFound: Reverse or Capture found no approved request under Key: none (a
	// Reverse then leaves a tombstone; Outcome.Matched is false), or a declined one.
	StatusNotFound
	// StatusAlreadyReversed: Reverse or Capture found nothing to change: the record is
	// resolved (fully reversed, captured for a Capture, expired), holds no money (an
	// inquiry), or a Reverse's replacement amount is not below the amount in effect.
	StatusAlreadyReversed
	// StatusConflict: the Key is already bound to a different request (another account,
	// kind, amount or type), or a Capture named a record that is not a hold. Nothing
	// changed.
	StatusConflict
	// StatusTombstoned: a reversal for Key arrived before this original; the original is
	// declined and remembered so, with no effect on the account, so that the pair nets to
	// zero (docs/ledger.md).
	StatusTombstoned
	// StatusDeclined: the request is remembered as declined with Record.Code: a decline
	// the bank decided (Entry.Decline) or a wrong PIN (55, 75).
	StatusDeclined
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
	case StatusDeclined:
		return "declined"
	default:
		return "unknown"
	}
}

// Record is what a ledger reports about the request under an entry's key (a Request, in
// the Outcome).
type Record struct {
	Account AccountID // the account the request is on
	Kind    Kind
	Amount  bandeira.Amount // the amount originally asked
	// Open is the amount still in effect: held (an open hold), captured and not given back
	// (a captured hold), or posted (a debit or credit).
	Open     bandeira.Amount
	AuthCode string
	// Reversed: a reversal matched the request, or the request is resolved.
	Reversed bool
	// Status is the answer the request under this key got: StatusApplied,
	// StatusInsufficientFunds, StatusTombstoned or StatusDeclined (with Code).
	Status Status
	// Code is the response code of a StatusDeclined request.
	Code bandeira.ResponseCode
	// StandIn: approved by the network's stand-in (Entry.StandIn).
	StandIn bool
}

// Outcome is the result of Apply.
type Outcome struct {
	Status Status
	// Balances of the account the entry acted on, after the entry (for a Reverse or
	// Capture, the original's account).
	Balances Balances
	// Record is the record the entry created or touched: for StatusDuplicate the existing
	// one, for Reverse and Capture the original's (as it is after the entry); zero when
	// there is none.
	Record Record
	// Released is the amount a Reverse undid, or the part of the hold a Capture released,
	// in centavos.
	Released bandeira.Amount
}

// Matched reports whether a request is remembered under the entry's key: for a Reverse
// or Capture, whether its original was found (approved or declined).
func (o *Outcome) Matched() bool { return o.Record.Kind != 0 }
