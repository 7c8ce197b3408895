package iso

import "fmt"

// UnpackError reports a message that Unpack could not parse.
//
// MTI is set when the first 4 bytes were 4 ASCII digits, so a server can still answer a
// request with field 39 = 30 (format error); it is "" when the MTI itself is unreadable.
// Field is the data element that failed: 0 means the message as a whole (its MTI, or
// bytes left after the last field), 1 the bitmap, 65 a tertiary bitmap. Reason says what
// was wrong. Neither Error nor Reason ever contains a field value.
type UnpackError struct {
	MTI    string
	Field  int
	Reason string
}

// Error returns "iso: unpacking <part>: <reason>", naming the field but never its value.
func (e *UnpackError) Error() string {
	switch e.Field {
	case 0:
		return "iso: unpacking message: " + e.Reason
	case 1:
		return "iso: unpacking bitmap: " + e.Reason
	default:
		return fmt.Sprintf("iso: unpacking field %d: %s", e.Field, e.Reason)
	}
}

// FieldError reports a field whose content Bandeira cannot use: a value that cannot be
// packed in the dialect, or that ToAuthorization or ToResult cannot convert (letters in
// an amount, an impossible transmission time, malformed field 48 TLV). Field 0 stands
// for the MTI. A missing mandatory field is not a FieldError: that is the gateway's
// decision. Neither Error nor Reason ever contains the field's value.
type FieldError struct {
	Field  int
	Reason string
}

// Error returns "iso: field <n>: <reason>", naming the field but never its value.
func (e *FieldError) Error() string {
	if e.Field == 0 {
		return "iso: MTI: " + e.Reason
	}
	return fmt.Sprintf("iso: field %d: %s", e.Field, e.Reason)
}

// fieldErr returns a *FieldError as an error.
func fieldErr(n int, reason string) error { return &FieldError{Field: n, Reason: reason} }
