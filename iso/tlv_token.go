package iso

import (
	"strconv"

	"github.com/bandeira/bandeira"
)

// tokenTag reports whether tag is one of the request tags of network tokens.
func tokenTag(tag string) bool {
	return tag == TagTokenRequest || tag == TagCryptogram || tag == TagCounter
}

// applyTokenTag reads tag TR into a, and keeps TC and TA for cryptogram, which needs both.
// A repeated tag or a malformed value is a *FieldError for field 48.
func applyTokenTag(a *bandeira.Authorization, tag, v string, tc, ta *string) error {
	switch tag {
	case TagTokenRequest:
		if a.TokenRequest != nil {
			return fieldErr(48, "tag TR is repeated")
		}
		if len(v) <= requestorIDLen || !bandeira.IsDigits(v[:requestorIDLen]) || !bandeira.IsReference(v[requestorIDLen:]) {
			return fieldErr(48, "tag TR is not an 11-digit requestor ID and a reference of 1 to 32 letters, digits, '-' or '_'")
		}
		a.TokenRequest = &bandeira.TokenRequest{RequestorID: v[:requestorIDLen], Reference: v[requestorIDLen:]}
	case TagCryptogram:
		if *tc != "" {
			return fieldErr(48, "tag TC is repeated")
		}
		if len(v) != bandeira.CryptogramLen || !isHex(v) {
			return fieldErr(48, "tag TC is not 16 hex characters")
		}
		*tc = v
	case TagCounter:
		if *ta != "" {
			return fieldErr(48, "tag TA is repeated")
		}
		if len(v) > 10 || !bandeira.IsDigits(v) {
			return fieldErr(48, "tag TA is not 1 to 10 digits")
		}
		*ta = v
	}
	return nil
}

// cryptogram sets a.Cryptogram from tags TC and TA, which come together or not at all.
func cryptogram(a *bandeira.Authorization, tc, ta string) error {
	if tc == "" && ta == "" {
		return nil
	}
	if tc == "" || ta == "" {
		return fieldErr(48, "tags TC and TA must come together")
	}
	n, err := strconv.ParseUint(ta, 10, 32)
	if err != nil {
		return fieldErr(48, "tag TA is above 4294967295")
	}
	a.Cryptogram = &bandeira.Cryptogram{Value: tc, Counter: uint32(n)}
	return nil
}

// appendTokenTLV appends the token elements of a request: TR, then TC and TA.
func appendTokenTLV(b []byte, a bandeira.Authorization) []byte {
	if t := a.TokenRequest; t != nil {
		b = appendTLV(b, TagTokenRequest, t.RequestorID+t.Reference)
	}
	if c := a.Cryptogram; c != nil {
		b = appendTLV(b, TagCryptogram, c.Value)
		b = appendTLV(b, TagCounter, strconv.FormatUint(uint64(c.Counter), 10))
	}
	return b
}

// resultToken sets r.Token from a response's tags TK and TE, which come together or not
// at all: a Luhn-valid token number and a YYMM expiry.
func resultToken(r *bandeira.Result, tk, te string) error {
	if tk == "" && te == "" {
		return nil
	}
	pan, err := bandeira.ParsePAN(tk)
	if err != nil || !pan.LuhnValid() {
		return fieldErr(48, "tag TK is not a Luhn-valid number of 12 to 19 digits")
	}
	if len(te) != 4 || !bandeira.IsDigits(te) || te[2:] < "01" || te[2:] > "12" {
		return fieldErr(48, "tag TE is not a YYMM expiry")
	}
	r.Token = &bandeira.Token{Number: pan, Expiry: te}
	return nil
}
