package bandeira

import (
	"encoding/hex"
	"errors"
	"strings"
)

// ErrInvalidPIN reports a PIN that is not 4–12 digits, or a PIN block that does not decode.
// The error never contains the PIN or the block.
var ErrInvalidPIN = errors.New("bandeira: invalid PIN or PIN block")

// EncodePINBlock returns the ISO 9564-1 format 0 PIN block for pin and pan as 16 uppercase
// hex characters (field 52's wire form): the PIN field (0, length, PIN, F padding) XOR the
// PAN field (0000 and the 12 rightmost PAN digits without the check digit).
//
// The simulator carries this block in the clear: there is no zone PIN key yet, so it is
// test data only. Never log the result.
func EncodePINBlock(pin string, pan PAN) (string, error) {
	if len(pin) < 4 || len(pin) > 12 || !IsDigits(pin) {
		return "", ErrInvalidPIN
	}
	pinField := "0" + strings.ToUpper(hex.EncodeToString([]byte{byte(len(pin))}))[1:] + pin
	pinField += strings.Repeat("F", 16-len(pinField))
	panField, err := pinPANField(pan)
	if err != nil {
		return "", err
	}
	return xorHex(pinField, panField), nil
}

// DecodePINBlock recovers the PIN from an ISO 9564-1 format 0 block (16 hex characters)
// for pan. It fails with ErrInvalidPIN when the block is not format 0 or is malformed.
func DecodePINBlock(block string, pan PAN) (string, error) {
	if len(block) != 16 {
		return "", ErrInvalidPIN
	}
	if _, err := hex.DecodeString(block); err != nil {
		return "", ErrInvalidPIN
	}
	panField, err := pinPANField(pan)
	if err != nil {
		return "", err
	}
	clear := xorHex(strings.ToUpper(block), panField)
	n := int(nibble(clear[1]))
	if clear[0] != '0' || n < 4 || n > 12 {
		return "", ErrInvalidPIN
	}
	pin := clear[2 : 2+n]
	if !IsDigits(pin) || strings.Trim(clear[2+n:], "F") != "" {
		return "", ErrInvalidPIN
	}
	return pin, nil
}

// pinPANField is "0000" followed by the 12 rightmost PAN digits excluding the check digit.
func pinPANField(pan PAN) (string, error) {
	d := pan.Digits()
	if len(d) < 13 || !IsDigits(d) {
		return "", ErrInvalidPAN
	}
	return "0000" + d[len(d)-13:len(d)-1], nil
}

// xorHex XORs two equal-length hex strings nibble by nibble, uppercase result.
func xorHex(a, b string) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, len(a))
	for i := range out {
		out[i] = digits[nibble(a[i])^nibble(b[i])]
	}
	return string(out)
}

func nibble(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}
