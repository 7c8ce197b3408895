package wallet

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a request the wallet refuses: an HTTP status, a stable machine-readable code
// and a message for people. It never holds a PIN, a PAN, a CVV2 or a token. Any other
// error a Wallet returns means it could not answer (a store failure) and is a 500.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// The refusals that several operations share.
func errInvalid(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "invalid_request", format, args...)
}

func errNotFound(what string) *Error {
	return newError(http.StatusNotFound, what+"_not_found", "no such %s", what)
}

// asError returns err as an *Error, or nil when it is another error.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
