package wallet_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func bearerScenario(t *testing.T, h *harness) {
	phone := h.phone()
	created := h.must(http.StatusCreated, "POST", "/v1/users", map[string]string{"name": "Olga", "phone": phone}, "Idempotency-Key", "olga")
	id, token := created.str("id"), created.str("token")
	require.True(t, strings.HasPrefix(token, id+"."), "the token names its user")
	h.must(http.StatusOK, "PUT", "/v1/users/"+id+"/pin", map[string]string{"pin": "246810"})
	cardID := h.card(id, debitPAN)
	pay := h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, 1, pin("246810")))
	to := receiver(h)
	trf := h.must(http.StatusCreated, "POST", "/v1/transfers", transferBody(id, cardID, to, 100, pin("246810")))
	chg := h.must(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "PADARIA00000001", "to_phone": phone,
		"amount": 990, "description": "Pão"}).str("id")
	other := h.user("Pedro", h.phone(), "135790")
	otherToken := h.tokens[other]

	t.Run("a replayed registration answers the same token", func(t *testing.T) {
		again := h.must(http.StatusCreated, "POST", "/v1/users", map[string]string{"name": "Olga", "phone": phone}, "Idempotency-Key", "olga")
		require.Equal(t, token, again.str("token"))
	})
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/users/" + id, nil},
		{"PUT", "/v1/users/" + id + "/pin", map[string]any{"pin": "135790", "confirmation": pin("246810")}},
		{"POST", "/v1/users/" + id + "/pin/reset", map[string]string{"card_id": cardID, "pan": debitPAN, "expiry": goodExpiry, "cvv2": goodCVV2, "pin": "135790"}},
		{"POST", "/v1/users/" + id + "/devices", map[string]any{"public_key": newECDSAKey(t).public(t), "confirmation": pin("246810")}},
		{"GET", "/v1/users/" + id + "/devices", nil},
		{"POST", "/v1/users/" + id + "/cards", map[string]string{"pan": creditPAN, "expiry": goodExpiry, "cvv2": goodCVV2}},
		{"GET", "/v1/users/" + id + "/cards", nil},
		{"PUT", "/v1/users/" + id + "/default-card", map[string]string{"card_id": cardID}},
		{"GET", "/v1/users/" + id + "/activity", nil},
		{"POST", "/v1/challenges", map[string]any{"user_id": id, "device_id": "dev_0000000000000000", "for": map[string]any{"operation": "pin_change"}}},
		{"POST", "/v1/payments", catalogPayment(id, cardID, 1, pin("246810"))},
		{"GET", "/v1/payments/" + pay.str("id"), nil},
		{"POST", "/v1/transfers", transferBody(id, cardID, to, 100, pin("246810"))},
		{"GET", "/v1/transfers/" + trf.str("id"), nil},
		{"POST", "/v1/charges/" + chg + "/pay", map[string]any{"user_id": id, "card_id": cardID, "confirmation": pin("246810")}},
		{"DELETE", "/v1/users/" + id + "/cards/" + cardID, nil},
		{"DELETE", "/v1/users/" + id + "/devices/dev_0000000000000000", nil},
	}
	sent := h.net.paymentsSent()
	for _, r := range routes {
		t.Run(r.method+" "+r.path+" needs the user's own token", func(t *testing.T) {
			for _, auth := range []string{"", "Basic b2xnYTpzZWNyZXQ=", "Bearer " + id + ".AAAA", "Bearer " + token + "x", "Bearer nonsense"} {
				res := h.must(http.StatusUnauthorized, r.method, r.path, r.body, "Authorization", auth)
				require.Equal(t, "unauthorized", res.code(), "%q", auth)
				require.Equal(t, `Bearer realm="wallet"`, res.header.Get("WWW-Authenticate"))
			}
			require.Equal(t, "forbidden", h.must(http.StatusForbidden, r.method, r.path, r.body, "Authorization", "Bearer "+otherToken).code())
		})
	}
	require.Equal(t, sent, h.net.paymentsSent(), "nothing refused reached the network")

	t.Run("the user's token is taken, and the recipient of a transfer may read it too", func(t *testing.T) {
		h.must(http.StatusOK, "GET", "/v1/users/"+id, nil, "Authorization", "bearer "+token)
		h.must(http.StatusOK, "GET", "/v1/transfers/"+trf.str("id"), nil)
		toID := h.must(http.StatusOK, "GET", "/v1/users?phone=%2B"+to[1:], nil).body["users"].([]any)[0].(map[string]any)["id"].(string)
		h.must(http.StatusOK, "GET", "/v1/transfers/"+trf.str("id"), nil, "Authorization", "Bearer "+h.tokens[toID])
	})
	t.Run("a user that does not exist is 404 whoever asks", func(t *testing.T) {
		h.must(http.StatusNotFound, "GET", "/v1/users/usr_0000000000000000", nil)
		h.must(http.StatusNotFound, "GET", "/v1/payments/pay_0000000000000000", nil)
	})
	t.Run("the token stays valid after a restart", func(t *testing.T) {
		h.restart()
		h.must(http.StatusOK, "GET", "/v1/users/"+id+"/cards", nil, "Authorization", "Bearer "+token)
	})
}
