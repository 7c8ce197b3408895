package wallet_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func removeCardScenario(t *testing.T, h *harness) {
	id := h.user("Rita", h.phone(), "246810")
	debit, prepaid := h.card(id, debitPAN), h.card(id, prepaidPAN)
	token := h.net.tokenOf(debit)
	paid := h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, debit, 1, pin("246810")))
	sent := h.net.paymentsSent()

	t.Run("removing the default card passes the default to the next one", func(t *testing.T) {
		h.must(http.StatusNoContent, "DELETE", "/v1/users/"+id+"/cards/"+debit, nil)
		cards := h.must(http.StatusOK, "GET", "/v1/users/"+id+"/cards", nil).body["cards"].([]any)
		require.Len(t, cards, 1)
		require.Equal(t, prepaid, cards[0].(map[string]any)["id"])
		require.Equal(t, true, cards[0].(map[string]any)["default"])
		require.Equal(t, prepaid, h.must(http.StatusOK, "GET", "/v1/users/"+id, nil).str("default_card_id"))
	})
	t.Run("a removed card pays nothing and sends nothing", func(t *testing.T) {
		require.Equal(t, "card_not_found", h.must(http.StatusNotFound, "POST", "/v1/payments", catalogPayment(id, debit, 1, pin("246810"))).code())
		require.Equal(t, "card_not_found", h.must(http.StatusNotFound, "POST", "/v1/transfers", transferBody(id, debit, receiver(h), 100, pin("246810"))).code())
		require.Equal(t, sent, h.net.paymentsSent())
		require.Equal(t, "card_not_found", h.must(http.StatusNotFound, "DELETE", "/v1/users/"+id+"/cards/"+debit, nil).code())
	})
	t.Run("its row keeps no token and no hash of the card, and its payments keep their history", func(t *testing.T) {
		row := h.cardRow(debit)
		require.NotContains(t, row, "sealed_token")
		require.Empty(t, row["fingerprint"])
		require.NotEmpty(t, row["removed_at"])
		require.Equal(t, debit, h.must(http.StatusOK, "GET", "/v1/payments/"+paid.str("id"), nil).str("card_id"))
	})
	t.Run("it stays removed after a restart, and the same card comes back as a new card with a new token", func(t *testing.T) {
		h.restart()
		require.Len(t, h.must(http.StatusOK, "GET", "/v1/users/"+id+"/cards", nil).body["cards"], 1)
		again := h.card(id, debitPAN)
		require.NotEqual(t, debit, again)
		require.NotEqual(t, token, h.net.tokenOf(again))
		require.Equal(t, "approved", h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, again, 1, pin("246810"))).str("status"))
		for name, b := range h.walletFiles() {
			require.False(t, bytes.Contains(b, []byte(token)), "%s holds the removed token", name)
		}
	})
	t.Run("a recipient whose only card is removed cannot receive", func(t *testing.T) {
		to := h.phone()
		bob := h.user("Bob", to, "246810")
		card := h.card(bob, debit2PAN)
		h.must(http.StatusNoContent, "DELETE", "/v1/users/"+bob+"/cards/"+card, nil)
		require.Empty(t, h.must(http.StatusOK, "GET", "/v1/users/"+bob, nil).str("default_card_id"))
		require.Equal(t, "recipient_cannot_receive", h.must(http.StatusUnprocessableEntity, "POST", "/v1/transfers",
			transferBody(id, prepaid, to, 100, pin("246810"))).code())
	})
	t.Run("another user's card is 403, an unknown one 404", func(t *testing.T) {
		other := h.user("Caco", h.phone(), "246810")
		theirs := h.card(other, creditPAN)
		require.Equal(t, "card_not_owned", h.must(http.StatusForbidden, "DELETE", "/v1/users/"+id+"/cards/"+theirs, nil).code())
		h.must(http.StatusNotFound, "DELETE", "/v1/users/"+id+"/cards/card_0000000000000000", nil)
		h.must(http.StatusNotFound, "DELETE", "/v1/users/usr_0000000000000000/cards/"+theirs, nil)
	})
	t.Run("a card a payment in flight uses is 409 until the payment ends", func(t *testing.T) {
		release := h.net.holdPayments()
		defer release()
		before := h.net.paymentsSent()
		done := make(chan response)
		go func() { done <- h.do("POST", "/v1/payments", catalogPayment(id, prepaid, 1, pin("246810"))) }()
		require.Eventually(t, func() bool { return h.net.paymentsSent() > before }, 10*time.Second, 5*time.Millisecond)
		require.Equal(t, "card_in_use", h.must(http.StatusConflict, "DELETE", "/v1/users/"+id+"/cards/"+prepaid, nil).code())
		release()
		require.Equal(t, http.StatusCreated, (<-done).status, "the held payment ends (failed: the fake network never answers it)")
		h.must(http.StatusNoContent, "DELETE", "/v1/users/"+id+"/cards/"+prepaid, nil)
	})
}

func revokeDeviceScenario(t *testing.T, h *harness) {
	id := h.user("Saulo", h.phone(), "246810")
	cardID := h.card(id, debitPAN)
	key := newECDSAKey(t)
	dev, kept := h.register(id, "246810", key), h.register(id, "246810", key)
	pending := h.deviceConfirmation(id, dev, key, forPayment(cardID, 1))
	sent := h.net.paymentsSent()

	h.must(http.StatusNoContent, "DELETE", "/v1/users/"+id+"/devices/"+dev, nil)
	t.Run("a challenge issued before the revocation confirms nothing", func(t *testing.T) {
		require.Equal(t, "device_not_found", h.must(http.StatusNotFound, "POST", "/v1/payments", catalogPayment(id, cardID, 1, pending)).code())
		require.Equal(t, sent, h.net.paymentsSent())
	})
	t.Run("no new challenge is issued for it, and it is gone from the list, also after a restart", func(t *testing.T) {
		h.must(http.StatusNotFound, "POST", "/v1/challenges", map[string]any{"user_id": id, "device_id": dev, "for": forPayment(cardID, 1)})
		h.restart()
		devices := h.must(http.StatusOK, "GET", "/v1/users/"+id+"/devices", nil).body["devices"].([]any)
		require.Len(t, devices, 1)
		require.Equal(t, kept, devices[0].(map[string]any)["id"])
		require.Equal(t, "approved", h.must(http.StatusCreated, "POST", "/v1/payments",
			catalogPayment(id, cardID, 1, h.deviceConfirmation(id, kept, key, forPayment(cardID, 1)))).str("status"))
	})
	t.Run("revoking it again, another user's device or an unknown one is 404", func(t *testing.T) {
		h.must(http.StatusNotFound, "DELETE", "/v1/users/"+id+"/devices/"+dev, nil)
		other := h.user("Tina", h.phone(), "246810")
		h.must(http.StatusNotFound, "DELETE", "/v1/users/"+other+"/devices/"+kept, nil)
		h.must(http.StatusNotFound, "DELETE", "/v1/users/"+id+"/devices/nonsense", nil)
	})
}

func cancelChargeScenario(t *testing.T, h *harness) {
	phone := h.phone()
	id := h.user("Ugo", phone, "246810")
	cardID := h.card(id, debitPAN)
	bill := func() string {
		return h.must(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "PADARIA00000001", "to_phone": phone,
			"amount": 1290, "description": "Bolo"}).str("id")
	}
	cancel := func(chargeID, merchant string) response {
		return h.do("POST", "/v1/charges/"+chargeID+"/cancel", map[string]string{"merchant_id": merchant})
	}
	pay := func(chargeID string) response {
		return h.do("POST", "/v1/charges/"+chargeID+"/pay", map[string]any{"user_id": id, "card_id": cardID, "confirmation": pin("246810")})
	}
	chg := bill()
	sent := h.net.paymentsSent()

	t.Run("only the merchant that sent it cancels it, and a cancelled charge cannot be paid", func(t *testing.T) {
		r := cancel(chg, "WACATALOGO00001")
		require.Equal(t, http.StatusForbidden, r.status)
		require.Equal(t, "charge_not_yours", r.code())
		r = cancel(chg, "PADARIA00000001")
		require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
		require.Equal(t, "cancelled", r.str("status"))
		require.Equal(t, "cancelled", cancel(chg, "PADARIA00000001").str("status"), "cancelling again answers it again")
		p := pay(chg)
		require.Equal(t, http.StatusGone, p.status)
		require.Equal(t, "charge_cancelled", p.code())
		require.Equal(t, sent, h.net.paymentsSent())
		items := h.must(http.StatusOK, "GET", "/v1/users/"+id+"/activity", nil).body["items"].([]any)
		require.Equal(t, "cancelled", items[0].(map[string]any)["status"])
	})
	t.Run("it stays cancelled after a restart", func(t *testing.T) {
		h.restart()
		require.Equal(t, "cancelled", h.must(http.StatusOK, "GET", "/v1/charges/"+chg, nil).str("status"))
	})
	t.Run("a paid charge is 409, one being paid 409, an expired one 410, an unknown one 404", func(t *testing.T) {
		paid := bill()
		require.Equal(t, http.StatusCreated, pay(paid).status)
		require.Equal(t, "charge_paid", cancel(paid, "PADARIA00000001").code())

		paying := bill()
		release := h.net.holdPayments()
		defer release()
		before := h.net.paymentsSent()
		done := make(chan response)
		go func() { done <- pay(paying) }()
		require.Eventually(t, func() bool { return h.net.paymentsSent() > before }, 10*time.Second, 5*time.Millisecond)
		r := cancel(paying, "PADARIA00000001")
		require.Equal(t, http.StatusConflict, r.status)
		require.Equal(t, "request_in_progress", r.code())
		release()
		require.Equal(t, http.StatusCreated, (<-done).status, "the held payment ends (failed: the fake network never answers it)")
		require.Equal(t, "cancelled", cancel(paying, "PADARIA00000001").str("status"), "a charge whose payment failed is open, and cancels")

		late := bill()
		h.advance(h.cfg.ChargeTTL)
		r = cancel(late, "PADARIA00000001")
		require.Equal(t, http.StatusGone, r.status)
		require.Equal(t, "charge_expired", r.code())
		require.Equal(t, http.StatusNotFound, cancel("chg_0000000000000000", "PADARIA00000001").status)
	})
}
