package wallet_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// scenario is a behaviour of the API, run on a fresh harness by TestWallet and, all on
// one harness, by TestOpenAPIIsTrue, which checks that every status they see is
// documented and every documented status is seen.
type scenario struct {
	name string
	run  func(t *testing.T, h *harness)
}

var scenarios = []scenario{
	{"users are registered once per phone and read back", usersScenario},
	{"a PIN is 6 digits, not trivial, changed with a confirmation, and locks after 3 wrong tries until a card resets it", pinScenario},
	{"cards are verified, tokenized and kept as tokens only", cardsScenario},
	{"a catalog payment is approved and priced, or declined with its reason", paymentsScenario},
	{"a payment is confirmed by a device's signature of a one-time challenge", deviceScenario},
	{"a device challenge confirms only the operation, card, payee and amount it was issued for", boundChallengeScenario},
	{"a retried payment with the same Idempotency-Key gets the first result", idempotencyScenario},
	{"a transfer pulls from the sender and pushes to the recipient, within the limits", transfersScenario},
	{"a transfer whose push fails has its pull reversed", failedPushScenario},
	{"a charge is paid at most once, by its phone, before it expires", chargesScenario},
	{"the activity lists payments, transfers and charges, newest first, a page at a time", activityScenario},
	{"no answer from the network fails the payment and reverses it", networkDownScenario},
	{"every body is strict, size-limited JSON", strictBodiesScenario},
	{"every route that acts for a user needs that user's bearer token", bearerScenario},
	{"a removed card pays and receives no more, and the same card can be added again", removeCardScenario},
	{"a revoked device confirms nothing, not even with a challenge issued before", revokeDeviceScenario},
	{"a merchant cancels an open charge, which can then not be paid", cancelChargeScenario},
}

func TestWallet(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, newHarness(t)) })
	}
}

func usersScenario(t *testing.T, h *harness) {
	phone := h.phone()
	u := h.must(http.StatusCreated, "POST", "/v1/users", map[string]string{"name": "  Ana Souza ", "phone": phone})
	id := u.str("id")
	require.True(t, strings.HasPrefix(id, "usr_"))
	require.Equal(t, "Ana Souza", u.str("name"))
	require.Equal(t, false, u.body["pin_set"])
	require.Equal(t, id, h.must(http.StatusOK, "GET", "/v1/users/"+id, nil).str("id"))
	list := h.must(http.StatusOK, "GET", "/v1/users?phone=%2B"+phone[1:], nil)
	require.Len(t, list.body["users"], 1)

	require.Equal(t, "phone_taken", h.must(http.StatusConflict, "POST", "/v1/users", map[string]string{"name": "Other", "phone": phone}).code())
	for _, bad := range []map[string]string{
		{"name": "Ana", "phone": "11987654321"}, {"name": "Ana", "phone": "+0511987654321"}, {"name": "", "phone": h.phone()},
		{"name": strings.Repeat("a", 61), "phone": h.phone()}, {"name": "a\nb", "phone": h.phone()},
	} {
		require.Equal(t, "invalid_request", h.must(http.StatusBadRequest, "POST", "/v1/users", bad).code(), "%v", bad)
	}
	h.must(http.StatusNotFound, "GET", "/v1/users/usr_0000000000000000", nil)
	h.must(http.StatusNotFound, "GET", "/v1/users/nonsense", nil)
	h.must(http.StatusBadRequest, "GET", "/v1/users?name=x", nil)

	t.Run("a retried registration with its Idempotency-Key gets the same user; another body is 422", func(t *testing.T) {
		body := map[string]string{"name": "Bia", "phone": h.phone()}
		first := h.must(http.StatusCreated, "POST", "/v1/users", body, "Idempotency-Key", "user-1")
		again := h.must(http.StatusCreated, "POST", "/v1/users", body, "Idempotency-Key", "user-1")
		require.Equal(t, first.str("id"), again.str("id"))
		body["name"] = "Bea"
		require.Equal(t, "idempotency_key_reused", h.must(http.StatusUnprocessableEntity, "POST", "/v1/users", body,
			"Idempotency-Key", "user-1").code())
	})
}

func pinScenario(t *testing.T, h *harness) {
	id := h.must(http.StatusCreated, "POST", "/v1/users", map[string]string{"name": "Caio", "phone": h.phone()}).str("id")
	path := "/v1/users/" + id + "/pin"
	for _, weak := range []string{"111111", "123456", "654321", "890123", "000000"} {
		require.Equal(t, "weak_pin", h.must(http.StatusUnprocessableEntity, "PUT", path, map[string]string{"pin": weak}).code(), weak)
	}
	for _, bad := range []string{"12345", "1234567", "12a456", "", "١٢٣٤٥٦"} {
		require.Equal(t, "invalid_pin", h.must(http.StatusBadRequest, "PUT", path, map[string]string{"pin": bad}).code(), bad)
	}
	h.must(http.StatusNotFound, "PUT", "/v1/users/usr_0000000000000000/pin", map[string]string{"pin": "246810"})
	require.Equal(t, true, h.must(http.StatusOK, "PUT", path, map[string]string{"pin": "246810"}).body["pin_set"])

	t.Run("a change needs the current PIN", func(t *testing.T) {
		require.Equal(t, "confirmation_required", h.must(http.StatusBadRequest, "PUT", path, map[string]string{"pin": "135790"}).code())
		require.Equal(t, "wrong_pin", h.must(http.StatusForbidden, "PUT", path, map[string]any{"pin": "135790", "confirmation": pin("999999")}).code())
		h.must(http.StatusOK, "PUT", path, map[string]any{"pin": "135790", "confirmation": pin("246810")})
	})
	cardID := h.card(id, debitPAN)
	t.Run("three wrong PINs in a row lock payments with 423, even with the right PIN", func(t *testing.T) {
		pay := func(p string) response {
			return h.do("POST", "/v1/payments", map[string]any{"user_id": id, "card_id": cardID, "merchant_id": "WACATALOGO00001",
				"items": []map[string]any{{"product_id": "brigadeiros-12", "quantity": 1}}, "confirmation": pin(p)})
		}
		require.Equal(t, http.StatusForbidden, pay("111112").status)
		require.Contains(t, string(pay("111113").raw), "1 try left")
		require.Equal(t, "pin_locked", pay("111114").code())
		locked := pay("135790")
		require.Equal(t, http.StatusLocked, locked.status)
		require.Equal(t, "pin_locked", locked.code())
		require.Equal(t, true, h.must(http.StatusOK, "GET", "/v1/users/"+id, nil).body["pin_locked"])
		require.Equal(t, http.StatusLocked, h.do("PUT", path, map[string]any{"pin": "975310", "confirmation": pin("135790")}).status)
		require.Equal(t, 0, h.net.paymentsSent(), "nothing was sent to the network")
	})
	t.Run("a reset proves the card and lifts the lock", func(t *testing.T) {
		reset := "/v1/users/" + id + "/pin/reset"
		body := map[string]string{"card_id": cardID, "pan": debitPAN, "expiry": goodExpiry, "cvv2": "999", "pin": "975310"}
		require.Equal(t, "card_declined", h.must(http.StatusUnprocessableEntity, "POST", reset, body).code())
		body["cvv2"], body["pan"] = goodCVV2, debit2PAN
		require.Equal(t, "card_declined", h.must(http.StatusUnprocessableEntity, "POST", reset, body).code(), "another card is not this one")
		body["pan"], body["pin"] = debitPAN, "123"
		h.must(http.StatusBadRequest, "POST", reset, body)
		body["pin"] = "975310"
		h.must(http.StatusNotFound, "POST", "/v1/users/usr_0000000000000000/pin/reset", body)
		require.Equal(t, false, h.must(http.StatusOK, "POST", reset, body).body["pin_locked"])
		h.must(http.StatusCreated, "POST", "/v1/payments", map[string]any{"user_id": id, "card_id": cardID, "merchant_id": "WACATALOGO00001",
			"items": []map[string]any{{"product_id": "brigadeiros-12", "quantity": 1}}, "confirmation": pin("975310")})
	})
	t.Run("another user's card cannot reset the PIN", func(t *testing.T) {
		other := h.user("Dora", h.phone(), "246810")
		otherCard := h.card(other, debit2PAN)
		body := map[string]string{"card_id": otherCard, "pan": debit2PAN, "expiry": goodExpiry, "cvv2": goodCVV2, "pin": "975310"}
		require.Equal(t, "card_not_owned", h.must(http.StatusForbidden, "POST", "/v1/users/"+id+"/pin/reset", body).code())
	})
}

func cardsScenario(t *testing.T, h *harness) {
	id := h.user("Edu", h.phone(), "246810")
	path := "/v1/users/" + id + "/cards"
	c := h.must(http.StatusCreated, "POST", path, map[string]string{"pan": debitPAN, "expiry": goodExpiry, "cvv2": goodCVV2})
	require.Equal(t, "visa", c.str("brand"))
	require.Equal(t, "debit", c.str("product"))
	require.Equal(t, "fakebank", c.str("issuer"))
	require.Equal(t, debitPAN[12:], c.str("last4"))
	require.NotEqual(t, c.str("last4"), c.str("token_last4"))
	require.Equal(t, true, c.body["default"])
	require.NotContains(t, string(c.raw), debitPAN)

	verification := h.net.seen()[len(h.net.seen())-1]
	require.True(t, verification.IsAccountVerification())
	require.Equal(t, "40000000011", verification.TokenRequest.RequestorID)
	require.Equal(t, c.str("id"), verification.TokenRequest.Reference)

	require.Equal(t, "card_exists", h.must(http.StatusConflict, "POST", path, map[string]string{"pan": debitPAN, "expiry": goodExpiry, "cvv2": goodCVV2}).code())
	bad := []struct {
		status int
		code   string
		body   map[string]string
	}{
		{http.StatusBadRequest, "invalid_pan", map[string]string{"pan": "4000010200000008", "expiry": goodExpiry, "cvv2": goodCVV2}},
		{http.StatusBadRequest, "invalid_pan", map[string]string{"pan": "40000102", "expiry": goodExpiry, "cvv2": goodCVV2}},
		{http.StatusBadRequest, "invalid_expiry", map[string]string{"pan": debit2PAN, "expiry": "3013", "cvv2": goodCVV2}},
		{http.StatusBadRequest, "invalid_cvv2", map[string]string{"pan": debit2PAN, "expiry": goodExpiry, "cvv2": "12"}},
		{http.StatusUnprocessableEntity, "card_expired", map[string]string{"pan": debit2PAN, "expiry": "2001", "cvv2": goodCVV2}},
		{http.StatusUnprocessableEntity, "card_declined", map[string]string{"pan": debit2PAN, "expiry": goodExpiry, "cvv2": "999"}},
		{http.StatusUnprocessableEntity, "unsupported_card", map[string]string{"pan": "6011000000000004", "expiry": goodExpiry, "cvv2": goodCVV2}},
	}
	for _, b := range bad {
		r := h.must(b.status, "POST", path, b.body)
		require.Equal(t, b.code, r.code(), "%v", b.body)
		require.NotContains(t, string(r.raw), b.body["pan"])
	}
	require.Contains(t, string(h.must(http.StatusUnprocessableEntity, "POST", path,
		map[string]string{"pan": debit2PAN, "expiry": goodExpiry, "cvv2": "999"}).raw), "CVV2 mismatch (N7)")
	h.must(http.StatusNotFound, "POST", "/v1/users/usr_0000000000000000/cards", map[string]string{"pan": debit2PAN, "expiry": goodExpiry, "cvv2": goodCVV2})

	second := h.card(id, creditPAN)
	cards := h.must(http.StatusOK, "GET", path, nil).body["cards"].([]any)
	require.Len(t, cards, 2)
	h.must(http.StatusNotFound, "GET", "/v1/users/usr_0000000000000000/cards", nil)
	require.Equal(t, true, h.must(http.StatusOK, "PUT", "/v1/users/"+id+"/default-card", map[string]string{"card_id": second}).body["default"])
	other := h.user("Fabi", h.phone(), "246810")
	require.Equal(t, "card_not_owned", h.must(http.StatusForbidden, "PUT", "/v1/users/"+other+"/default-card", map[string]string{"card_id": second}).code())
	h.must(http.StatusNotFound, "PUT", "/v1/users/"+id+"/default-card", map[string]string{"card_id": "card_0000000000000000"})

	t.Run("no decision from the network is 503 and keeps nothing", func(t *testing.T) {
		h.net.setDown(true)
		defer h.net.setDown(false)
		require.Equal(t, "network_unavailable", h.must(http.StatusServiceUnavailable, "POST", path,
			map[string]string{"pan": prepaidPAN, "expiry": goodExpiry, "cvv2": goodCVV2}).code())
		require.Len(t, h.must(http.StatusOK, "GET", path, nil).body["cards"], 2)
		h.must(http.StatusServiceUnavailable, "POST", "/v1/users/"+id+"/pin/reset",
			map[string]string{"card_id": second, "pan": creditPAN, "expiry": goodExpiry, "cvv2": goodCVV2, "pin": "975310"})
	})
}

// catalogPayment is the body of a payment of qty boxes of brigadeiros (R$ 36.00 each).
func catalogPayment(userID, cardID string, qty int, confirmation any) map[string]any {
	return map[string]any{"user_id": userID, "card_id": cardID, "merchant_id": "WACATALOGO00001",
		"items": []map[string]any{{"product_id": "brigadeiros-12", "quantity": qty}}, "confirmation": confirmation}
}

func paymentsScenario(t *testing.T, h *harness) {
	id := h.user("Gil", h.phone(), "246810")
	debit, credit := h.card(id, debitPAN), h.card(id, creditPAN)
	merchants := h.must(http.StatusOK, "GET", "/v1/merchants", nil).body["merchants"].([]any)
	require.Len(t, merchants, 2, "only the merchants with a catalog")
	products := h.must(http.StatusOK, "GET", "/v1/merchants/WACATALOGO00001/catalog", nil).body["products"].([]any)
	require.Len(t, products, 3)
	h.must(http.StatusNotFound, "GET", "/v1/merchants/POSTO0000000001/catalog", nil)

	p := h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, debit, 2, pin("246810")), "X-App", "instagram")
	require.Equal(t, "approved", p.str("status"))
	require.Equal(t, "00", p.str("response_code"))
	require.Len(t, p.str("auth_code"), 6)
	require.EqualValues(t, 7200, p.num("amount"))
	require.EqualValues(t, 287, p.num("merchant_fee"), "3.99% of R$ 72.00, rounded half up")
	require.EqualValues(t, 7200-287, p.num("merchant_net"))
	require.Equal(t, "instagram", p.str("app"))
	require.EqualValues(t, 1_000_000-7200, h.net.balance(debitPAN))
	sent := h.net.seen()[len(h.net.seen())-1]
	require.Equal(t, bandeira.MTIFinancial, sent.MTI)
	require.NotEqual(t, debitPAN, sent.PAN.Digits(), "the wallet sends the token")
	require.NotNil(t, sent.Cryptogram)
	require.Equal(t, "WACATALOGO00001", sent.MerchantID)
	require.Equal(t, p.str("id"), h.must(http.StatusOK, "GET", "/v1/payments/"+p.str("id"), nil).str("id"))
	h.must(http.StatusNotFound, "GET", "/v1/payments/pay_0000000000000000", nil)

	t.Run("credit in installments", func(t *testing.T) {
		body := catalogPayment(id, credit, 1, pin("246810"))
		body["installments"] = 3
		require.EqualValues(t, 3, h.must(http.StatusCreated, "POST", "/v1/payments", body).num("installments"))
		body["card_id"] = debit
		require.Equal(t, "installments_not_allowed", h.must(http.StatusUnprocessableEntity, "POST", "/v1/payments", body).code())
		body["installments"] = 13
		h.must(http.StatusBadRequest, "POST", "/v1/payments", body)
	})
	t.Run("declined for funds with the reason shown", func(t *testing.T) {
		poor := h.card(id, poorPAN)
		d := h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, poor, 1, pin("246810")))
		require.Equal(t, "declined", d.str("status"))
		require.Equal(t, "51", d.str("response_code"))
		require.Equal(t, "Insufficient funds", d.str("reason"))
		require.Zero(t, d.num("merchant_fee"))
	})
	bad := []struct {
		name   string
		status int
		code   string
		edit   func(b map[string]any)
	}{
		{"an unknown user", 404, "user_not_found", func(b map[string]any) { b["user_id"] = "usr_0000000000000000" }},
		{"an unknown card", 404, "card_not_found", func(b map[string]any) { b["card_id"] = "card_0000000000000000" }},
		{"an unknown merchant", 404, "merchant_not_found", func(b map[string]any) { b["merchant_id"] = "POSTO0000000001" }},
		{"an unknown product", 404, "product_not_found", func(b map[string]any) {
			b["items"] = []map[string]any{{"product_id": "pizza", "quantity": 1}}
		}},
		{"a quantity of 0", 400, "invalid_request", func(b map[string]any) {
			b["items"] = []map[string]any{{"product_id": "brigadeiros-12", "quantity": 0}}
		}},
		{"a negative quantity", 400, "invalid_request", func(b map[string]any) {
			b["items"] = []map[string]any{{"product_id": "brigadeiros-12", "quantity": -2}}
		}},
		{"no items", 400, "invalid_request", func(b map[string]any) { b["items"] = []map[string]any{} }},
		{"an amount over the limit", 422, "limit_exceeded", func(b map[string]any) {
			var items []map[string]any
			for range 20 {
				items = append(items, map[string]any{"product_id": "bolo-cenoura", "quantity": 99})
			}
			b["items"] = items
		}},
		{"no confirmation", 400, "confirmation_required", func(b map[string]any) { delete(b, "confirmation") }},
		{"a PIN and a device together", 400, "invalid_confirmation", func(b map[string]any) {
			b["confirmation"] = map[string]string{"pin": "246810", "device_id": "dev_0000000000000000"}
		}},
		{"a PIN of 5 digits", 400, "invalid_pin", func(b map[string]any) { b["confirmation"] = pin("24681") }},
		{"a wrong PIN", 403, "wrong_pin", func(b map[string]any) { b["confirmation"] = pin("246811") }},
	}
	for _, b := range bad {
		t.Run("refuses "+b.name+" and sends nothing", func(t *testing.T) {
			before := h.net.paymentsSent()
			body := catalogPayment(id, debit, 1, pin("246810"))
			b.edit(body)
			require.Equal(t, b.code, h.must(b.status, "POST", "/v1/payments", body).code())
			require.Equal(t, before, h.net.paymentsSent())
		})
	}
	h.must(http.StatusOK, "PUT", "/v1/users/"+id+"/pin", map[string]any{"pin": "975310", "confirmation": pin("246810")}) // clears the wrong try
	t.Run("refuses another user's card with 403", func(t *testing.T) {
		other := h.user("Hugo", h.phone(), "246810")
		require.Equal(t, "card_not_owned", h.must(http.StatusForbidden, "POST", "/v1/payments", catalogPayment(other, debit, 1, pin("246810"))).code())
	})
	t.Run("refuses a card that has expired since it was added", func(t *testing.T) {
		h.advance(24 * 365 * 6 * time.Hour) // past 30/12
		defer h.advance(-24 * 365 * 6 * time.Hour)
		require.Equal(t, "card_expired", h.must(http.StatusUnprocessableEntity, "POST", "/v1/payments", catalogPayment(id, debit, 1, pin("975310"))).code())
	})
}
