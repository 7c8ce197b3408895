package bandeira

import (
	"errors"
	"strings"
)

// PAN is a primary account number: 12 to 19 decimal digits.
//
// A PAN never prints in full: String, Format and MarshalZerologObject-style callers see the
// masked form (first 6, last 4). Use Digits for the clear value where it must travel, such
// as the wire or a BIN lookup.
type PAN string

// ErrInvalidPAN reports a PAN that is not 12–19 decimal digits.
var ErrInvalidPAN = errors.New("bandeira: invalid PAN")

// ParsePAN validates the length and digits of s (not the Luhn check digit).
// The error never contains the input.
func ParsePAN(s string) (PAN, error) {
	if len(s) < 12 || len(s) > 19 || !IsDigits(s) {
		return "", ErrInvalidPAN
	}
	return PAN(s), nil
}

// Digits returns the full, unmasked number. Never log it.
func (p PAN) Digits() string { return string(p) }

// String returns the masked PAN: first 6 and last 4 digits, the rest as '*'.
func (p PAN) String() string { return MaskPAN(string(p)) }

// MarshalText makes encoders (JSON, zerolog's Stringer paths) see the masked form.
func (p PAN) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// BIN returns the first n digits of the PAN (the issuer identification number), or the
// whole PAN if it is shorter.
func (p PAN) BIN(n int) string {
	if len(p) < n {
		return string(p)
	}
	return string(p[:n])
}

// Last4 returns the last four digits.
func (p PAN) Last4() string {
	if len(p) < 4 {
		return string(p)
	}
	return string(p[len(p)-4:])
}

// LuhnValid reports whether the PAN passes the ISO/IEC 7812-1 Annex B check.
func (p PAN) LuhnValid() bool { return LuhnValid(string(p)) }

// MaskPAN masks any digit string longer than 10 characters to first 6 + last 4; shorter
// strings are masked entirely, so nothing of a short secret leaks either.
func MaskPAN(s string) string {
	if len(s) <= 10 {
		return strings.Repeat("*", len(s))
	}
	return s[:6] + strings.Repeat("*", len(s)-10) + s[len(s)-4:]
}

// LuhnValid reports whether the digit string s passes the Luhn check. Non-digit input and
// strings shorter than 2 characters are invalid.
func LuhnValid(s string) bool {
	if len(s) < 2 || !IsDigits(s) {
		return false
	}
	return luhnSum(s, false)%10 == 0
}

// LuhnCheckDigit returns the check digit to append to body so the result is Luhn-valid.
// body must be all digits.
func LuhnCheckDigit(body string) byte {
	return byte('0' + (10-luhnSum(body, true)%10)%10)
}

// luhnSum sums s from the right, doubling every second digit; doubleFirst says whether
// the rightmost digit is doubled (true when s is a body awaiting its check digit).
func luhnSum(s string, doubleFirst bool) int {
	sum := 0
	double := doubleFirst
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum
}

// IsDigits reports whether s is non-empty and all ASCII decimal digits.
func IsDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
