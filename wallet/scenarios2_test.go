package wallet_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// deviceKey is a device's key pair as a test holds it.
type deviceKey struct {
	ec  *ecdsa.PrivateKey
	ed  ed25519.PrivateKey
	der bool // sign ECDSA as ASN.1 DER instead of WebCrypto's r‖s
}

func newECDSAKey(t *testing.T) deviceKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return deviceKey{ec: k}
}

func (k deviceKey) public(t *testing.T) string {
	var pub any
	if k.ed != nil {
		pub = k.ed.Public()
	} else {
		pub = &k.ec.PublicKey
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(der)
}

func (k deviceKey) sign(t *testing.T, nonce string) string {
	if k.ed != nil {
		return base64.StdEncoding.EncodeToString(ed25519.Sign(k.ed, []byte(nonce)))
	}
	digest := sha256.Sum256([]byte(nonce))
	if k.der {
		sig, err := ecdsa.SignASN1(rand.Reader, k.ec, digest[:])
		require.NoError(t, err)
		return base64.StdEncoding.EncodeToString(sig)
	}
	r, s, err := ecdsa.Sign(rand.Reader, k.ec, digest[:])
	require.NoError(t, err)
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	return base64.RawURLEncoding.EncodeToString(raw)
}

// register registers k as a device of the user, confirmed with the PIN.
func (h *harness) register(userID, pinCode string, k deviceKey) string {
	h.t.Helper()
	return h.must(http.StatusCreated, "POST", "/v1/users/"+userID+"/devices",
		map[string]any{"name": "phone", "public_key": k.public(h.t), "confirmation": pin(pinCode)}).str("id")
}

// deviceConfirmation asks for a challenge for purpose and signs its message with k.
func (h *harness) deviceConfirmation(userID, deviceID string, k deviceKey, purpose map[string]any) map[string]string {
	h.t.Helper()
	ch := h.must(http.StatusCreated, "POST", "/v1/challenges", map[string]any{"user_id": userID, "device_id": deviceID, "for": purpose})
	return map[string]string{"device_id": deviceID, "challenge_id": ch.str("id"), "signature": k.sign(h.t, ch.str("message"))}
}

// forPayment is the purpose of catalogPayment(userID, cardID, qty, ...): R$ 36.00 a unit.
func forPayment(cardID string, qty int) map[string]any {
	return map[string]any{"operation": "payment", "card_id": cardID, "merchant_id": "WACATALOGO00001", "amount": 3600 * qty}
}

// forTransfer is the purpose of a transfer.
func forTransfer(cardID, toPhone string, amount int64) map[string]any {
	return map[string]any{"operation": "transfer", "card_id": cardID, "to_phone": toPhone, "amount": amount}
}

func deviceScenario(t *testing.T, h *harness) {
	id := h.user("Iara", h.phone(), "246810")
	cardID := h.card(id, debitPAN)
	key := newECDSAKey(t)
	dev := h.register(id, "246810", key)
	devices := h.must(http.StatusOK, "GET", "/v1/users/"+id+"/devices", nil).body["devices"].([]any)
	require.Len(t, devices, 1)
	require.Equal(t, "ES256", devices[0].(map[string]any)["algorithm"])

	t.Run("a signed challenge confirms a payment, as r‖s or DER, and so does Ed25519", func(t *testing.T) {
		p := h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, 1, h.deviceConfirmation(id, dev, key, forPayment(cardID, 1))))
		require.Equal(t, "approved", p.str("status"))
		der := key
		der.der = true
		h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, 1, h.deviceConfirmation(id, dev, der, forPayment(cardID, 1))))
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		ed := deviceKey{ed: edKey}
		edDev := h.register(id, "246810", ed)
		h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, 1, h.deviceConfirmation(id, edDev, ed, forPayment(cardID, 1))))
	})
	t.Run("a challenge is one-time", func(t *testing.T) {
		c := h.deviceConfirmation(id, dev, key, forPayment(cardID, 1))
		h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, 1, c))
		require.Equal(t, "challenge_used", h.must(http.StatusConflict, "POST", "/v1/payments", catalogPayment(id, cardID, 1, c)).code())
	})
	t.Run("an expired challenge is 410", func(t *testing.T) {
		c := h.deviceConfirmation(id, dev, key, forPayment(cardID, 1))
		h.advance(3 * time.Minute)
		require.Equal(t, "challenge_expired", h.must(http.StatusGone, "POST", "/v1/payments", catalogPayment(id, cardID, 1, c)).code())
	})
	t.Run("a wrong signature is 403 and spends the challenge", func(t *testing.T) {
		c := h.deviceConfirmation(id, dev, newECDSAKey(t), forPayment(cardID, 1))
		require.Equal(t, "invalid_signature", h.must(http.StatusForbidden, "POST", "/v1/payments", catalogPayment(id, cardID, 1, c)).code())
		require.Equal(t, "challenge_used", h.must(http.StatusConflict, "POST", "/v1/payments", catalogPayment(id, cardID, 1, c)).code())
	})
	t.Run("another user's device or an unknown challenge is 404", func(t *testing.T) {
		other := h.user("Jo", h.phone(), "246810")
		h.must(http.StatusNotFound, "POST", "/v1/challenges", map[string]any{"user_id": other, "device_id": dev, "for": forPayment(cardID, 1)})
		h.must(http.StatusNotFound, "POST", "/v1/challenges", map[string]any{"user_id": "usr_0000000000000000", "device_id": dev, "for": forPayment(cardID, 1)})
		c := map[string]string{"device_id": dev, "challenge_id": "chl_0000000000000000", "signature": "AAAA"}
		require.Equal(t, "challenge_not_found", h.must(http.StatusNotFound, "POST", "/v1/payments", catalogPayment(id, cardID, 1, c)).code())
	})
	t.Run("a key that is not P-256 or Ed25519 is refused", func(t *testing.T) {
		k384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		require.NoError(t, err)
		der, err := x509.MarshalPKIXPublicKey(&k384.PublicKey)
		require.NoError(t, err)
		for _, pub := range []string{base64.StdEncoding.EncodeToString(der), "not base64!", ""} {
			r := h.must(http.StatusBadRequest, "POST", "/v1/users/"+id+"/devices", map[string]any{"public_key": pub, "confirmation": pin("246810")})
			require.Equal(t, "invalid_public_key", r.code())
		}
		h.must(http.StatusNotFound, "POST", "/v1/users/usr_0000000000000000/devices", map[string]any{"public_key": key.public(t), "confirmation": pin("246810")})
		h.must(http.StatusNotFound, "GET", "/v1/users/usr_0000000000000000/devices", nil)
		require.Equal(t, "wrong_pin", h.must(http.StatusForbidden, "POST", "/v1/users/"+id+"/devices", map[string]any{"public_key": key.public(t), "confirmation": pin("000001")}).code())
	})
	t.Run("a locked user cannot register a device", func(t *testing.T) {
		locked := h.user("Kiko", h.phone(), "246810")
		for range 3 {
			h.do("POST", "/v1/users/"+locked+"/devices", map[string]any{"public_key": key.public(t), "confirmation": pin("000001")})
		}
		require.Equal(t, "pin_locked", h.must(http.StatusLocked, "POST", "/v1/users/"+locked+"/devices",
			map[string]any{"public_key": key.public(t), "confirmation": pin("246810")}).code())
	})
}

func idempotencyScenario(t *testing.T, h *harness) {
	id := h.user("Lia", h.phone(), "246810")
	cardID := h.card(id, debitPAN)
	before := h.net.paymentsSent()
	body := catalogPayment(id, cardID, 1, pin("246810"))
	first := h.must(http.StatusCreated, "POST", "/v1/payments", body, "Idempotency-Key", "order-42")
	again := h.must(http.StatusCreated, "POST", "/v1/payments", body, "Idempotency-Key", "order-42")
	require.Equal(t, first.raw, again.raw, "the same result, byte for byte")
	require.Equal(t, before+1, h.net.paymentsSent(), "sent once")
	require.EqualValues(t, 1_000_000-3600, h.net.balance(debitPAN), "charged once")

	t.Run("the key survives a restart", func(t *testing.T) {
		h.restart()
		require.Equal(t, first.raw, h.must(http.StatusCreated, "POST", "/v1/payments", body, "Idempotency-Key", "order-42").raw)
		require.Equal(t, before+1, h.net.paymentsSent())
	})
	t.Run("the same key with another body is 422, and keys are per route", func(t *testing.T) {
		other := catalogPayment(id, cardID, 2, pin("246810"))
		require.Equal(t, "idempotency_key_reused", h.must(http.StatusUnprocessableEntity, "POST", "/v1/payments", other, "Idempotency-Key", "order-42").code())
		require.Equal(t, "idempotency_key_reused", h.must(http.StatusUnprocessableEntity, "POST", "/v1/payments", body,
			"Idempotency-Key", "order-42", "X-App", "messenger").code(), "the app is part of the request")
		h.must(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": h.phone(),
			"amount": 100, "description": "x"}, "Idempotency-Key", "order-42")
	})
	t.Run("a bad key is 400", func(t *testing.T) {
		h.must(http.StatusBadRequest, "POST", "/v1/payments", body, "Idempotency-Key", "has space")
	})
}
