package wallet

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

// pinHash is a PIN as the wallet keeps it: PBKDF2-HMAC-SHA256 with a random salt over
// the PIN peppered with the wallet's secret key (HMAC-SHA256 keyed with secret.key), so
// that a copy of the database alone does not let anyone try the million PINs offline.
// It keeps its iteration count, so a raised count applies to new PINs only.
type pinHash struct {
	Iterations int    `json:"iterations"`
	Salt       []byte `json:"salt"`
	Hash       []byte `json:"hash"`
}

// pinLen is the length of a PIN: exactly 6 digits.
const pinLen = 6

// checkPINFormat refuses a PIN that is not exactly 6 ASCII digits (400) or that is
// trivial: all digits equal, or a straight run up or down (wrapping 9 to 0) (422). The
// message never holds the PIN.
func checkPINFormat(pin string) *Error {
	if len(pin) != pinLen {
		return newError(http.StatusBadRequest, "invalid_pin", "a PIN is exactly 6 digits")
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return newError(http.StatusBadRequest, "invalid_pin", "a PIN is exactly 6 digits")
		}
	}
	return nil
}

// checkNewPIN checks a PIN being set: the format, then that it is not trivial.
func checkNewPIN(pin string) *Error {
	if err := checkPINFormat(pin); err != nil {
		return err
	}
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := (int(pin[i]) - int(pin[i-1]) + 10) % 10
		same = same && d == 0
		up = up && d == 1
		down = down && d == 9
	}
	if same || up || down {
		return newError(http.StatusUnprocessableEntity, "weak_pin",
			"choose a PIN that is not one digit repeated or a straight run of digits up or down")
	}
	return nil
}

// hashPIN hashes pin with a fresh salt.
func hashPIN(pin string, secret []byte, iterations int) (*pinHash, error) {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // crypto/rand never fails on supported systems
	h, err := derivePIN(pin, secret, salt, iterations)
	if err != nil {
		return nil, err
	}
	return &pinHash{Iterations: iterations, Salt: salt, Hash: h}, nil
}

// matches reports whether pin is the PIN h was made from, in constant time.
func (h *pinHash) matches(pin string, secret []byte) bool {
	got, err := derivePIN(pin, secret, h.Salt, h.Iterations)
	return err == nil && subtle.ConstantTimeCompare(got, h.Hash) == 1
}

func derivePIN(pin string, secret, salt []byte, iterations int) ([]byte, error) {
	pepper := hmac.New(sha256.New, secret)
	pepper.Write([]byte(pin))
	return pbkdf2.Key(sha256.New, hex.EncodeToString(pepper.Sum(nil)), salt, iterations, 32)
}
