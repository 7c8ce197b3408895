package bandeira

import (
	"context"
	"errors"
	"slices"
)

// ResponseCode is ISO 8583 field 39: two alphanumeric characters.
type ResponseCode string

// The response codes Bandeira returns. docs/spec.md says when each one is returned.
const (
	Approved              ResponseCode = "00"
	DoNotHonour           ResponseCode = "05"
	InvalidTransaction    ResponseCode = "12"
	InvalidAmount         ResponseCode = "13"
	InvalidCardNumber     ResponseCode = "14"
	NoSuchIssuer          ResponseCode = "15"
	FormatError           ResponseCode = "30"
	LostCard              ResponseCode = "41"
	StolenCard            ResponseCode = "43"
	InsufficientFunds     ResponseCode = "51"
	ExpiredCard           ResponseCode = "54"
	IncorrectPIN          ResponseCode = "55"
	NotPermitted          ResponseCode = "57"
	ExceedsAmountLimit    ResponseCode = "61"
	RestrictedCard        ResponseCode = "62"
	PINTriesExceeded      ResponseCode = "75"
	IssuerUnavailable     ResponseCode = "91"
	DuplicateTransmission ResponseCode = "94"
	SystemMalfunction     ResponseCode = "96"
	CVV2Mismatch          ResponseCode = "N7"
)

// Approved reports whether the code approves the request.
func (c ResponseCode) Approved() bool { return c == Approved }

// meanings is the one table of what each response code means, in the words of
// docs/spec.md's "Response codes" table (a test keeps the two equal).
var meanings = map[ResponseCode]string{
	Approved:              "Approved",
	DoNotHonour:           "Do not honour",
	InvalidTransaction:    "Invalid transaction",
	InvalidAmount:         "Invalid amount",
	InvalidCardNumber:     "Invalid card number",
	NoSuchIssuer:          "No such issuer",
	FormatError:           "Format error",
	LostCard:              "Lost card, pick up",
	StolenCard:            "Stolen card, pick up",
	InsufficientFunds:     "Insufficient funds",
	ExpiredCard:           "Expired card",
	IncorrectPIN:          "Incorrect PIN",
	NotPermitted:          "Transaction not permitted to cardholder",
	ExceedsAmountLimit:    "Exceeds amount limit",
	RestrictedCard:        "Restricted card",
	PINTriesExceeded:      "PIN tries exceeded",
	IssuerUnavailable:     "Issuer or switch inoperative",
	DuplicateTransmission: "Duplicate transmission",
	SystemMalfunction:     "System malfunction",
	CVV2Mismatch:          "CVV2 mismatch",
}

// Meaning returns what the code means ("Insufficient funds" for 51), or "" for a code
// Bandeira does not define.
func (c ResponseCode) Meaning() string { return meanings[c] }

// ResponseCodes returns every response code Bandeira defines, in ascending order.
func ResponseCodes() []ResponseCode {
	out := make([]ResponseCode, 0, len(meanings))
	for c := range meanings {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Errors an Authorizer returns when it could not decide. Map them to field 39 with
// CodeForError, never by hand.
var (
	// ErrIssuerUnavailable means the issuer did not answer or could not be reached.
	ErrIssuerUnavailable = errors.New("bandeira: issuer unavailable")
	// ErrOverloaded means a limit (in-flight requests, queue) refused the request.
	ErrOverloaded = errors.New("bandeira: overloaded")
)

// CodeForError maps an Authorizer error to the response code the edge sends: timeouts,
// cancellations, unavailable issuers and overload answer 91 (the request may be retried);
// anything else is a system malfunction, 96. A nil error maps to "".
func CodeForError(err error) ResponseCode {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrIssuerUnavailable),
		errors.Is(err, ErrOverloaded),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled):
		return IssuerUnavailable
	default:
		return SystemMalfunction
	}
}
