package wallet

import (
	"context"
	"net/http"
	"strconv"

	"github.com/bandeira/bandeira/internal/store"
)

// Confirmation confirms a payment, a transfer or a change to the account: the user's PIN,
// or a device's signature of a fresh challenge issued for that very operation (the page's
// "fingerprint"). Exactly one of the two.
type Confirmation struct {
	PIN         string `json:"pin,omitempty"`
	DeviceID    string `json:"device_id,omitempty"`
	ChallengeID string `json:"challenge_id,omitempty"`
	Signature   string `json:"signature,omitempty"`
}

// The method label of bandeira_wallet_confirmations_total.
const (
	methodPIN    = "pin"
	methodDevice = "device"
)

// confirm checks c for u doing what want describes. Either way, a user whose wrong PINs reached the limit is 423
// until the PIN is reset. A wrong PIN is 403 and counts towards the lock; a PIN that is
// not 6 digits is 400 and does not. A device confirmation spends its challenge whatever
// the signature (404 unknown device or challenge, 409 used, 410 expired, 403
// challenge_mismatch for a challenge issued for another Purpose than want, 403
// invalid_signature). Confirmations of one user run one at a time, so parallel tries cannot
// outrun the lock.
func (w *Wallet) confirm(ctx context.Context, u *user, c *Confirmation, want Purpose) error {
	if c == nil {
		return newError(http.StatusBadRequest, "confirmation_required", "confirm with your PIN or a device")
	}
	byPIN, byDevice := c.PIN != "", c.DeviceID != "" || c.ChallengeID != "" || c.Signature != ""
	if byPIN == byDevice {
		return newError(http.StatusBadRequest, "invalid_confirmation",
			`confirm with {"pin"} or with {"device_id", "challenge_id", "signature"}, not both`)
	}
	method := methodPIN
	if byDevice {
		method = methodDevice
	}
	u.confirming.Lock()
	defer u.confirming.Unlock()
	w.mu.Lock()
	locked := w.locked(u)
	w.mu.Unlock()
	if locked {
		w.m.Confirmations.WithLabelValues(method, "locked").Inc()
		return errLocked()
	}
	if byPIN {
		return w.confirmPIN(ctx, u, c.PIN)
	}
	return w.confirmDevice(ctx, u, c, want)
}

func errLocked() *Error {
	return newError(http.StatusLocked, "pin_locked", "too many wrong PINs: payments are locked until the PIN is reset")
}

// confirmPIN checks pin against u's hash, outside the lock (it is slow), and records the
// outcome: the failures back to 0, or one more.
func (w *Wallet) confirmPIN(ctx context.Context, u *user, pin string) error {
	if err := checkPINFormat(pin); err != nil {
		return err
	}
	w.mu.Lock()
	h := u.PIN
	w.mu.Unlock()
	if h == nil {
		return newError(http.StatusConflict, "pin_not_set", "set a PIN first")
	}
	ok := h.matches(pin, w.secret)
	var left int
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		if ok && u.PINFailures == 0 {
			return nil
		}
		if ok {
			u.PINFailures = 0
		} else {
			u.PINFailures++
		}
		left = w.cfg.PIN.Tries - u.PINFailures
		w.save(b, tableUsers, u.ID, u.Seq, u)
		return nil
	})
	switch {
	case err != nil:
		return err
	case ok:
		w.m.Confirmations.WithLabelValues(methodPIN, "ok").Inc()
		return nil
	case left <= 0:
		w.m.Confirmations.WithLabelValues(methodPIN, "locked").Inc()
		return errLocked()
	}
	w.m.Confirmations.WithLabelValues(methodPIN, "wrong").Inc()
	return newError(http.StatusForbidden, "wrong_pin", "wrong PIN: %s left before payments are locked", tries(left))
}

func tries(n int) string {
	if n == 1 {
		return "1 try"
	}
	return strconv.Itoa(n) + " tries"
}

// confirmDevice spends the challenge, then checks that it was issued for want and the
// device's signature of its message.
func (w *Wallet) confirmDevice(ctx context.Context, u *user, c *Confirmation, want Purpose) error {
	var d *device
	var ch *challenge
	result := "ok"
	err := w.write(ctx, func(b *store.Batch[store.Upserts]) error {
		var err *Error
		d, ch, err = w.challengeFor(u, c)
		if err != nil {
			result = "invalid"
			switch err.Code {
			case "challenge_used":
				result = "used"
			case "challenge_expired":
				result = "expired"
			}
			return err
		}
		ch.Used = true
		w.save(b, tableChallenges, ch.ID, ch.Seq, ch)
		return nil
	})
	switch {
	case err != nil:
	case ch.For != want:
		result, err = "mismatch", errMismatch(want)
	case !verifySignature(d, ch.message(), c.Signature):
		result, err = "wrong", newError(http.StatusForbidden, "invalid_signature", "the signature does not verify with the device's key")
	}
	w.m.Confirmations.WithLabelValues(methodDevice, result).Inc()
	return err
}

// challengeFor finds c's device and challenge for u. w.mu must be held.
func (w *Wallet) challengeFor(u *user, c *Confirmation) (*device, *challenge, *Error) {
	d, ok := w.devices[c.DeviceID]
	if !ok || d.UserID != u.ID {
		return nil, nil, errNotFound("device")
	}
	ch, ok := w.challenges[c.ChallengeID]
	switch {
	case !ok || ch.UserID != u.ID || ch.DeviceID != d.ID:
		return nil, nil, errNotFound("challenge")
	case ch.Used:
		return nil, nil, newError(http.StatusConflict, "challenge_used", "this challenge was used already: ask for a new one")
	case !w.now().Before(ch.Expires):
		return nil, nil, newError(http.StatusGone, "challenge_expired", "this challenge expired: ask for a new one")
	}
	return d, ch, nil
}
