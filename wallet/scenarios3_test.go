package wallet_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// transferBody is the body of a transfer.
func transferBody(from, cardID, to string, amount int64, confirmation any) map[string]any {
	return map[string]any{"from_user_id": from, "card_id": cardID, "to_phone": to, "amount": amount,
		"message": "pelo bolo 🎂", "confirmation": confirmation}
}

func transfersScenario(t *testing.T, h *harness) {
	sender, recipientPhone := h.user("Mara", h.phone(), "246810"), h.phone()
	recipient := h.user("Nina", recipientPhone, "135790")
	debit := h.card(sender, debitPAN)
	h.card(recipient, debit2PAN)

	tr := h.must(http.StatusCreated, "POST", "/v1/transfers", transferBody(sender, debit, recipientPhone, 2500, pin("246810")), "X-App", "messenger")
	require.Equal(t, "completed", tr.str("status"))
	require.Equal(t, "Nina", tr.str("to_name"))
	require.Equal(t, "messenger", tr.str("app"))
	require.Equal(t, "pelo bolo 🎂", tr.str("message"))
	require.EqualValues(t, 1_000_000-2500, h.net.balance(debitPAN))
	require.EqualValues(t, 1_000_000+2500, h.net.balance(debit2PAN))
	legs := h.net.seen()
	pull, push := legs[len(legs)-2], legs[len(legs)-1]
	require.Equal(t, "100000", pull.ProcessingCode)
	require.Equal(t, "260000", push.ProcessingCode)
	require.Equal(t, "4829", pull.MCC, "Visa: money transfer")
	require.Equal(t, "6538", push.MCC, "Mastercard: funding transactions")
	require.Equal(t, "FACEBOOKPAY0001", strings.TrimSpace(pull.MerchantID))
	require.Equal(t, tr.str("id"), h.must(http.StatusOK, "GET", "/v1/transfers/"+tr.str("id"), nil).str("id"))
	h.must(http.StatusNotFound, "GET", "/v1/transfers/trf_0000000000000000", nil)

	credit := h.card(sender, creditPAN)
	bad := []struct {
		name   string
		status int
		code   string
		body   map[string]any
	}{
		{"a credit card", 422, "credit_not_allowed", transferBody(sender, credit, recipientPhone, 100, pin("246810"))},
		{"an amount over R$ 1,000.00", 422, "limit_exceeded", transferBody(sender, debit, recipientPhone, 100_001, pin("246810"))},
		{"a zero amount", 400, "invalid_request", transferBody(sender, debit, recipientPhone, 0, pin("246810"))},
		{"a negative amount", 400, "invalid_request", transferBody(sender, debit, recipientPhone, -500, pin("246810"))},
		{"an unknown phone", 404, "recipient_not_found", transferBody(sender, debit, "+5511900000000", 100, pin("246810"))},
		{"a phone that is not E.164", 400, "invalid_request", transferBody(sender, debit, "1190000", 100, pin("246810"))},
		{"oneself", 422, "self_transfer", transferBody(sender, debit, h.must(200, "GET", "/v1/users/"+sender, nil).str("phone"), 100, pin("246810"))},
		{"a recipient without a card", 422, "recipient_cannot_receive", transferBody(sender, debit, func() string {
			p := h.phone()
			h.user("Olga", p, "246810")
			return p
		}(), 100, pin("246810"))},
		{"a message of 141 characters", 400, "invalid_request", func() map[string]any {
			b := transferBody(sender, debit, recipientPhone, 100, pin("246810"))
			b["message"] = strings.Repeat("a", 141)
			return b
		}()},
		{"an unknown sender", 404, "user_not_found", transferBody("usr_0000000000000000", debit, recipientPhone, 100, pin("246810"))},
		{"a wrong PIN", 403, "wrong_pin", transferBody(sender, debit, recipientPhone, 100, pin("246811"))},
	}
	for _, b := range bad {
		t.Run("refuses "+b.name+" and sends nothing", func(t *testing.T) {
			before := h.net.paymentsSent()
			require.Equal(t, b.code, h.must(b.status, "POST", "/v1/transfers", b.body).code())
			require.Equal(t, before, h.net.paymentsSent())
		})
	}
	h.must(http.StatusOK, "PUT", "/v1/users/"+sender+"/pin", map[string]any{"pin": "246810", "confirmation": pin("246810")})

	t.Run("the recipient receives at most received_per_day transfers a day", func(t *testing.T) {
		for i := 1; i < h.cfg.Limits.ReceivedPerDay; i++ {
			h.must(http.StatusCreated, "POST", "/v1/transfers", transferBody(sender, debit, recipientPhone, 100, pin("246810")))
		}
		before := h.net.paymentsSent()
		r := h.must(http.StatusUnprocessableEntity, "POST", "/v1/transfers", transferBody(sender, debit, recipientPhone, 100, pin("246810")))
		require.Equal(t, "limit_exceeded", r.code())
		require.Contains(t, r.str("error"), "")
		require.Equal(t, before, h.net.paymentsSent())
	})
	t.Run("a transfer is confirmed like a payment: one-time challenges, and the PIN lock", func(t *testing.T) {
		from := h.user("Zeca", h.phone(), "246810")
		c := h.card(from, prepaidPAN)
		key := newECDSAKey(t)
		dev := h.register(from, "246810", key)
		to := receiver(h)
		conf := h.deviceConfirmation(from, dev, key, forTransfer(c, to, 100))
		require.Equal(t, "completed", h.must(http.StatusCreated, "POST", "/v1/transfers", transferBody(from, c, to, 100, conf)).str("status"))
		require.Equal(t, "challenge_used", h.must(http.StatusConflict, "POST", "/v1/transfers", transferBody(from, c, to, 100, conf)).code())
		conf = h.deviceConfirmation(from, dev, key, forTransfer(c, to, 100))
		h.advance(h.cfg.ChallengeTTL)
		require.Equal(t, "challenge_expired", h.must(http.StatusGone, "POST", "/v1/transfers", transferBody(from, c, recipientPhone, 100, conf)).code())
		for range 3 {
			h.do("POST", "/v1/transfers", transferBody(from, c, recipientPhone, 100, pin("000001")))
		}
		require.Equal(t, "pin_locked", h.must(http.StatusLocked, "POST", "/v1/transfers", transferBody(from, c, recipientPhone, 100, pin("246810"))).code())
	})
	t.Run("a sender sends at most R$ 5,000.00 a month", func(t *testing.T) {
		spent := int64(2500 + 100*(h.cfg.Limits.ReceivedPerDay-1))
		var phones []string
		for range 5 {
			p := h.phone()
			u := h.user("Paulo", p, "246810")
			h.card(u, prepaidPAN)
			phones = append(phones, p)
		}
		for i := 0; spent+100_000 <= int64(h.cfg.Limits.SentPerMonth); i++ {
			h.must(http.StatusCreated, "POST", "/v1/transfers", transferBody(sender, debit, phones[i], 100_000, pin("246810")))
			spent += 100_000
		}
		left := int64(h.cfg.Limits.SentPerMonth) - spent
		require.Equal(t, "limit_exceeded", h.must(http.StatusUnprocessableEntity, "POST", "/v1/transfers",
			transferBody(sender, debit, phones[4], left+1, pin("246810"))).code())
		h.must(http.StatusCreated, "POST", "/v1/transfers", transferBody(sender, debit, phones[4], left, pin("246810")))
	})
}

// receiver registers a fresh user with a card and returns its phone.
func receiver(h *harness) string {
	p := h.phone()
	u := h.user("Ana Clara", p, "246810")
	h.card(u, debit2PAN)
	return p
}

func failedPushScenario(t *testing.T, h *harness) {
	sender, recipientPhone := h.user("Quim", h.phone(), "246810"), h.phone()
	recipient := h.user("Rita", recipientPhone, "246810")
	debit := h.card(sender, debitPAN)
	h.card(recipient, prepaidPAN)
	h.net.refuseCredits(prepaidPAN, "57")
	before := h.net.reversalCount()
	tr := h.must(http.StatusCreated, "POST", "/v1/transfers", transferBody(sender, debit, recipientPhone, 4000, pin("246810")))
	require.Equal(t, "failed", tr.str("status"))
	require.Equal(t, "57", tr.str("response_code"))
	require.Contains(t, tr.str("reason"), "returned to your card")
	require.Equal(t, "reversed", tr.str("reversal"))
	require.Equal(t, before+1, h.net.reversalCount())
	require.EqualValues(t, 1_000_000, h.net.balance(debitPAN), "the pull was reversed")
	require.EqualValues(t, 1_000_000, h.net.balance(prepaidPAN))
	rev := h.net.seen()[len(h.net.seen())-1]
	require.Equal(t, "0400", string(rev.MTI))
	require.Equal(t, "100000", rev.ProcessingCode)
	require.NotNil(t, rev.Original)

	t.Run("the recipient does not see it; the sender does", func(t *testing.T) {
		require.Empty(t, h.must(http.StatusOK, "GET", "/v1/users/"+recipient+"/activity", nil).body["items"])
		items := h.must(http.StatusOK, "GET", "/v1/users/"+sender+"/activity", nil).body["items"].([]any)
		require.Equal(t, "failed", items[0].(map[string]any)["status"])
	})
}

func chargesScenario(t *testing.T, h *harness) {
	phone := h.phone()
	customer := h.user("Sara", phone, "246810")
	cardID := h.card(customer, debitPAN)
	ch := h.must(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "PADARIA00000001", "to_phone": phone,
		"amount": 2290, "description": "Encomenda de pão de queijo"})
	require.Equal(t, "open", ch.str("status"))
	require.Equal(t, "Padaria Pao Quente", ch.str("merchant_name"))
	chargeID := ch.str("id")
	items := h.must(http.StatusOK, "GET", "/v1/users/"+customer+"/activity", nil).body["items"].([]any)
	require.Equal(t, "charge", items[0].(map[string]any)["type"], "the charge shows in the chat")

	stranger := h.user("Tito", h.phone(), "246810")
	strangerCard := h.card(stranger, debit2PAN)
	payBody := map[string]any{"user_id": stranger, "card_id": strangerCard, "confirmation": pin("246810")}
	require.Equal(t, "charge_not_yours", h.must(http.StatusForbidden, "POST", "/v1/charges/"+chargeID+"/pay", payBody).code())

	payBody = map[string]any{"user_id": customer, "card_id": cardID, "confirmation": pin("246810")}
	p := h.must(http.StatusCreated, "POST", "/v1/charges/"+chargeID+"/pay", payBody)
	require.Equal(t, "approved", p.str("status"))
	require.EqualValues(t, 2290, p.num("amount"))
	require.Equal(t, chargeID, p.str("charge_id"))
	got := h.must(http.StatusOK, "GET", "/v1/charges/"+chargeID, nil)
	require.Equal(t, "paid", got.str("status"))
	require.Equal(t, p.str("id"), got.str("payment_id"))
	require.Equal(t, "charge_paid", h.must(http.StatusConflict, "POST", "/v1/charges/"+chargeID+"/pay", payBody).code())
	h.must(http.StatusNotFound, "POST", "/v1/charges/chg_0000000000000000/pay", payBody)
	h.must(http.StatusNotFound, "GET", "/v1/charges/chg_0000000000000000", nil)

	t.Run("a charge to a phone that registers later shows once it does", func(t *testing.T) {
		later := h.phone()
		h.must(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": later, "amount": 3600, "description": "Brigadeiros"})
		u := h.user("Ugo", later, "246810")
		require.Len(t, h.must(http.StatusOK, "GET", "/v1/users/"+u+"/activity", nil).body["items"], 1)
	})
	t.Run("an expired charge cannot be paid", func(t *testing.T) {
		c := h.must(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": phone, "amount": 100, "description": "x"})
		h.advance(h.cfg.ChargeTTL + time.Minute)
		require.Equal(t, "expired", h.must(http.StatusOK, "GET", "/v1/charges/"+c.str("id"), nil).str("status"))
		require.Equal(t, "charge_expired", h.must(http.StatusGone, "POST", "/v1/charges/"+c.str("id")+"/pay", payBody).code())
	})
	bad := []struct {
		status int
		body   map[string]any
	}{
		{http.StatusNotFound, map[string]any{"merchant_id": "POSTO0000000001", "to_phone": phone, "amount": 100, "description": "x"}},
		{http.StatusBadRequest, map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": phone, "amount": 0, "description": "x"}},
		{http.StatusBadRequest, map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": phone, "amount": -1, "description": "x"}},
		{http.StatusBadRequest, map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": "x", "amount": 100, "description": "x"}},
		{http.StatusBadRequest, map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": phone, "amount": 100, "description": ""}},
		{http.StatusUnprocessableEntity, map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": phone, "amount": 500_001, "description": "x"}},
	}
	for _, b := range bad {
		h.must(b.status, "POST", "/v1/charges", b.body)
	}
	t.Run("paying a charge checks the card like a payment", func(t *testing.T) {
		c := h.must(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "WACATALOGO00001", "to_phone": phone, "amount": 100, "description": "x"})
		body := map[string]any{"user_id": customer, "card_id": cardID, "installments": 2, "confirmation": pin("246810")}
		require.Equal(t, "installments_not_allowed", h.must(http.StatusUnprocessableEntity, "POST", "/v1/charges/"+c.str("id")+"/pay", body).code())
		body["installments"] = 0
		h.must(http.StatusBadRequest, "POST", "/v1/charges/"+c.str("id")+"/pay", body)
		delete(body, "installments")
		body["confirmation"] = pin("000001")
		h.must(http.StatusForbidden, "POST", "/v1/charges/"+c.str("id")+"/pay", body)
		h.must(http.StatusForbidden, "POST", "/v1/charges/"+c.str("id")+"/pay", body)
		h.must(http.StatusLocked, "POST", "/v1/charges/"+c.str("id")+"/pay", body)
		body["confirmation"] = pin("246810")
		require.Equal(t, "pin_locked", h.must(http.StatusLocked, "POST", "/v1/charges/"+c.str("id")+"/pay", body).code())
	})
}

func activityScenario(t *testing.T, h *harness) {
	phone := h.phone()
	id := h.user("Vera", phone, "246810")
	cardID := h.card(id, debitPAN)
	for i := 1; i <= 3; i++ {
		h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, i, pin("246810")))
	}
	friend := h.user("Wes", h.phone(), "246810")
	h.card(friend, debit2PAN)
	h.must(http.StatusCreated, "POST", "/v1/transfers", transferBody(friend, h.must(200, "GET", "/v1/users/"+friend, nil).str("default_card_id"), phone, 700, pin("246810")))

	page := h.must(http.StatusOK, "GET", "/v1/users/"+id+"/activity?limit=2", nil)
	items := page.body["items"].([]any)
	require.Len(t, items, 2)
	first := items[0].(map[string]any)
	require.Equal(t, "transfer", first["type"])
	require.Equal(t, "in", first["direction"])
	require.Equal(t, "Wes", first["title"])
	require.EqualValues(t, 3*3600, items[1].(map[string]any)["amount"])
	next := h.must(http.StatusOK, "GET", "/v1/users/"+id+"/activity?limit=2&cursor="+page.str("next_cursor"), nil)
	rest := next.body["items"].([]any)
	require.Len(t, rest, 2)
	require.EqualValues(t, 3600, rest[1].(map[string]any)["amount"])
	require.Empty(t, next.str("next_cursor"))

	for _, q := range []string{"?limit=0x", "?limit=101", "?cursor=zzz", "?cursor=", "?page=2"} {
		if q == "?cursor=" {
			continue
		}
		h.must(http.StatusBadRequest, "GET", "/v1/users/"+id+"/activity"+q, nil)
	}
	h.must(http.StatusNotFound, "GET", "/v1/users/usr_0000000000000000/activity", nil)
}

func networkDownScenario(t *testing.T, h *harness) {
	id := h.user("Xavi", h.phone(), "246810")
	cardID := h.card(id, debitPAN)
	h.net.setDown(true)
	before := h.net.reversalCount()
	p := h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, 1, pin("246810")))
	require.Equal(t, "failed", p.str("status"))
	require.Equal(t, "91", p.str("response_code"))
	require.Equal(t, "queued", p.str("reversal"), "the reversal got 91 too, so it waits in the queue")
	h.net.setDown(false)
	require.Eventually(t, func() bool { return h.net.reversalCount() > before }, 30*time.Second, 20*time.Millisecond,
		"the queue delivers the reversal once the network answers")
	require.EqualValues(t, 1_000_000, h.net.balance(debitPAN))
}
