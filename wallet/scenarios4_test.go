package wallet_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func boundChallengeScenario(t *testing.T, h *harness) {
	phone := h.phone()
	id := h.user("Nina", phone, "246810")
	debit, other := h.card(id, debitPAN), h.card(id, prepaidPAN)
	to := receiver(h)
	key := newECDSAKey(t)
	dev := h.register(id, "246810", key)
	sent := h.net.paymentsSent()

	t.Run("the message the device signs spells out what it confirms", func(t *testing.T) {
		ch := h.must(http.StatusCreated, "POST", "/v1/challenges", map[string]any{"user_id": id, "device_id": dev, "for": forPayment(debit, 2)})
		msg := ch.str("message")
		for _, want := range []string{"challenge: " + ch.str("id"), "nonce: " + ch.str("nonce"), "user: " + id, "device: " + dev,
			"operation: payment", "card: " + debit, "merchant: WACATALOGO00001", "amount: 7200"} {
			require.Contains(t, msg, want+"\n")
		}
		require.Equal(t, forPayment(debit, 2)["card_id"], ch.body["for"].(map[string]any)["card_id"])
	})
	mismatches := []struct {
		name    string
		purpose map[string]any
		path    string
		body    func(conf map[string]string) map[string]any
	}{
		{"a payment challenge used for another amount", forPayment(debit, 1), "/v1/payments",
			func(c map[string]string) map[string]any { return catalogPayment(id, debit, 2, c) }},
		{"a payment challenge used with another card", forPayment(debit, 1), "/v1/payments",
			func(c map[string]string) map[string]any { return catalogPayment(id, other, 1, c) }},
		{"a payment challenge used for another merchant", map[string]any{"operation": "payment", "card_id": debit,
			"merchant_id": "PADARIA00000001", "amount": 3600}, "/v1/payments",
			func(c map[string]string) map[string]any { return catalogPayment(id, debit, 1, c) }},
		{"a payment challenge used for a transfer", forPayment(debit, 1), "/v1/transfers",
			func(c map[string]string) map[string]any { return transferBody(id, debit, to, 3600, c) }},
		{"a transfer challenge used for another amount", forTransfer(debit, to, 100), "/v1/transfers",
			func(c map[string]string) map[string]any { return transferBody(id, debit, to, 101, c) }},
		{"a transfer challenge used for another recipient", forTransfer(debit, to, 100), "/v1/transfers",
			func(c map[string]string) map[string]any { return transferBody(id, debit, receiver(h), 100, c) }},
		{"a transfer challenge used for a payment", forTransfer(debit, to, 3600), "/v1/payments",
			func(c map[string]string) map[string]any { return catalogPayment(id, debit, 1, c) }},
		{"a PIN change challenge used for a payment", map[string]any{"operation": "pin_change"}, "/v1/payments",
			func(c map[string]string) map[string]any { return catalogPayment(id, debit, 1, c) }},
	}
	for _, m := range mismatches {
		t.Run(m.name+" is 403 challenge_mismatch, spends it and sends nothing", func(t *testing.T) {
			conf := h.deviceConfirmation(id, dev, key, m.purpose)
			require.Equal(t, "challenge_mismatch", h.must(http.StatusForbidden, "POST", m.path, m.body(conf)).code())
			require.Equal(t, sent, h.net.paymentsSent())
			require.Equal(t, "challenge_used", h.must(http.StatusConflict, "POST", m.path, m.body(conf)).code())
		})
	}
	t.Run("a signature of the nonce alone does not confirm", func(t *testing.T) {
		ch := h.must(http.StatusCreated, "POST", "/v1/challenges", map[string]any{"user_id": id, "device_id": dev, "for": forPayment(debit, 1)})
		conf := map[string]string{"device_id": dev, "challenge_id": ch.str("id"), "signature": key.sign(t, ch.str("nonce"))}
		require.Equal(t, "invalid_signature", h.must(http.StatusForbidden, "POST", "/v1/payments", catalogPayment(id, debit, 1, conf)).code())
		require.Equal(t, sent, h.net.paymentsSent())
	})
	t.Run("a charge challenge pays that charge with that card, and no other", func(t *testing.T) {
		bill := func() string {
			return h.must(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "PADARIA00000001", "to_phone": phone,
				"amount": 990, "description": "Pão"}).str("id")
		}
		first, second := bill(), bill()
		forFirst := map[string]any{"operation": "charge_payment", "charge_id": first, "card_id": debit}
		pay := func(chargeID string, conf map[string]string) response {
			return h.do("POST", "/v1/charges/"+chargeID+"/pay", map[string]any{"user_id": id, "card_id": debit, "confirmation": conf})
		}
		require.Equal(t, "challenge_mismatch", pay(second, h.deviceConfirmation(id, dev, key, forFirst)).code())
		require.Equal(t, "open", h.must(http.StatusOK, "GET", "/v1/charges/"+second, nil).str("status"))
		require.Equal(t, sent, h.net.paymentsSent())
		p := pay(first, h.deviceConfirmation(id, dev, key, forFirst))
		require.Equal(t, http.StatusCreated, p.status, "%s", p.raw)
		require.Equal(t, "approved", p.str("status"))
	})
	t.Run("the matching challenge confirms a payment, a transfer, a PIN change and a device", func(t *testing.T) {
		require.Equal(t, "approved", h.must(http.StatusCreated, "POST", "/v1/payments",
			catalogPayment(id, debit, 2, h.deviceConfirmation(id, dev, key, forPayment(debit, 2)))).str("status"))
		require.Equal(t, "completed", h.must(http.StatusCreated, "POST", "/v1/transfers",
			transferBody(id, debit, to, 250, h.deviceConfirmation(id, dev, key, forTransfer(debit, to, 250)))).str("status"))
		h.must(http.StatusOK, "PUT", "/v1/users/"+id+"/pin", map[string]any{"pin": "135790",
			"confirmation": h.deviceConfirmation(id, dev, key, map[string]any{"operation": "pin_change"})})
		h.must(http.StatusCreated, "POST", "/v1/users/"+id+"/devices", map[string]any{"public_key": newECDSAKey(t).public(t),
			"confirmation": h.deviceConfirmation(id, dev, key, map[string]any{"operation": "device_registration"})})
	})
	t.Run("a challenge must say what it confirms, with exactly the fields its operation binds", func(t *testing.T) {
		for _, bad := range []map[string]any{
			nil,
			{"operation": "refund"},
			{"operation": "payment", "card_id": debit, "merchant_id": "WACATALOGO00001"},
			{"operation": "payment", "card_id": debit, "merchant_id": "WACATALOGO00001", "amount": -5},
			{"operation": "transfer", "card_id": debit, "amount": 100},
			{"operation": "charge_payment", "card_id": debit, "charge_id": "chg_x", "amount": 100},
			{"operation": "pin_change", "card_id": debit},
			{"operation": "payment", "card_id": "not-a-card", "merchant_id": "WACATALOGO00001", "amount": 100},
			{"operation": "payment", "card_id": debit, "merchant_id": "WACATALOGO00001\namount: 1", "amount": 100},
			{"operation": "transfer", "card_id": debit, "to_phone": "11987654321", "amount": 100},
			{"operation": "charge_payment", "card_id": debit, "charge_id": "chg_x"},
		} {
			body := map[string]any{"user_id": id, "device_id": dev}
			if bad != nil {
				body["for"] = bad
			}
			r := h.must(http.StatusBadRequest, "POST", "/v1/challenges", body)
			require.Equal(t, "invalid_request", r.code(), "%v", bad)
			require.True(t, strings.HasPrefix(r.body["error"].(map[string]any)["message"].(string), "for"), "%s", r.raw)
		}
	})
}
