package bandeira

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// TokenRequest asks a brand's token service to issue a network token for the card of an
// account verification (an 0100 of amount 0): field 48 tag TR. docs/wallet.md describes
// the exchange.
type TokenRequest struct {
	// RequestorID is the token requestor's ID (the wallet), 11 digits, assigned by the
	// network.
	RequestorID string
	// Reference is the requestor's own name for the card (the wallet's card ID): 1 to 32
	// letters, digits, '-' or '_'. One reference is bound to one card for good.
	Reference string
}

// Cryptogram is the one-time proof a token payment carries: field 48 tags TC and TA.
type Cryptogram struct {
	// Value is TokenCryptogram's result: CryptogramLen uppercase hex characters.
	Value string
	// Counter is the application transaction counter: it rises with every payment of the
	// token, and the network declines a counter it has seen (a replay).
	Counter uint32
}

// Token is a network token the token service issued for a card: response field 48 tags
// TK (the token number, a PAN in the brand's token range) and TE (its expiry, YYMM).
type Token struct {
	Number PAN
	Expiry string
}

// CryptogramLen is the length of a cryptogram in hex characters: 8 bytes of HMAC-SHA256.
const CryptogramLen = 16

// MaxReferenceLen is the longest TokenRequest.Reference.
const MaxReferenceLen = 32

// TokenKey derives a token's own key from its requestor's key: HMAC-SHA256 keyed with the
// requestor's key over a label and the token number. The requestor and the network derive
// it alike, so the requestor's key never travels and one token's key opens no other.
func TokenKey(requestorKey []byte, token PAN) []byte {
	m := hmac.New(sha256.New, requestorKey)
	m.Write([]byte("bandeira token key|"))
	m.Write([]byte(token.Digits()))
	return m.Sum(nil)
}

// TokenCryptogram returns the cryptogram of a token payment a carrying counter: the first
// 8 bytes of HMAC-SHA256 under tokenKey (TokenKey) over the token (field 2), the
// processing code (3), the amount (4, as 12 digits), the counter and the request's key in
// normal form (32, 41, 11, 7), as uppercase hex. The request must carry field 32, since
// the key it signs is the one the network sees.
func TokenCryptogram(tokenKey []byte, a *Authorization, counter uint32) string {
	k := a.Key().Normal()
	amount := strconv.FormatInt(int64(a.Amount), 10)
	msg := strings.Join([]string{a.PAN.Digits(), a.ProcessingCode, strings.Repeat("0", max(0, 12-len(amount))) + amount,
		strconv.FormatUint(uint64(counter), 10), k.AcquirerID, k.TerminalID, k.STAN, k.TransmissionTime}, "|")
	m := hmac.New(sha256.New, tokenKey)
	m.Write([]byte(msg))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)[:CryptogramLen/2]))
}

// CryptogramEqual compares two cryptograms in constant time.
func CryptogramEqual(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}

// IsReference reports whether s is a valid TokenRequest.Reference: 1 to MaxReferenceLen
// letters, digits, '-' or '_'.
func IsReference(s string) bool {
	if len(s) == 0 || len(s) > MaxReferenceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
