package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
)

// TestWalletEndToEnd drives the wallet through the real network, in both topologies:
// cards verified and tokenized by the networks, a catalog payment priced as the
// acquirer's settlement shows it, a decline for funds, a transfer between two issuers
// with the balances read by ISO 8583 inquiries, a failed push whose pull is reversed, the
// PIN lockout, the idempotent retry, and what each party's logs may hold.
func TestWalletEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		ana := n.walletUser("Ana", "+5511987650001", "246810")
		bia := n.walletUser("Bia", "+5521987650002", "135790")
		anaDebit := n.card("bancodobrasil", bandeira.Debit, "")                 // Visa debit
		biaDebit := n.nthCard("nubank", bandeira.Mastercard, bandeira.Debit, 0) // Mastercard debit
		anaCard := n.walletCard(ana, anaDebit)
		biaCard := n.walletCard(bia, biaDebit)

		t.Run("a card is verified by its issuer and kept as a token of its brand's range", func(t *testing.T) {
			require.Equal(t, "bancodobrasil", anaCard.str("issuer"))
			require.Equal(t, "debit", anaCard.str("product"))
			token, _ := n.walletToken(anaCard.str("id"))
			require.True(t, n.cfg.Network.Tokens.Ranges[bandeira.Visa].Contains(token))
			require.Equal(t, token.Last4(), anaCard.str("token_last4"))
			require.Equal(t, 2.0, n.metric("bandeira_network_tokenizations_total", `result="issued"`))
			require.Equal(t, 1.0, n.metric("bandeira_network_tokens", `brand="mastercard"`))
		})

		var payment apiResponse
		t.Run("a catalog payment is approved and priced, and the merchant's fee and payout are in the settlement", func(t *testing.T) {
			before := n.balance(anaDebit)
			payment = n.walletMust(http.StatusCreated, "POST", "/v1/payments", map[string]any{"user_id": ana,
				"card_id": anaCard.str("id"), "merchant_id": "WACATALOGO00001", "items": []map[string]any{
					{"product_id": "brigadeiros-12", "quantity": 2}, {"product_id": "bolo-cenoura", "quantity": 1}},
				"confirmation": map[string]string{"pin": "246810"}})
			require.Equal(t, "approved", payment.str("status"), "%s", payment.raw)
			require.EqualValues(t, 11700, payment.num("amount"))
			require.EqualValues(t, 467, payment.num("merchant_fee"), "whatsapp-2020: 3.99% of R$ 117.00")
			require.EqualValues(t, 11700-467, payment.num("merchant_net"))
			require.Equal(t, before.Available-11700, n.balance(anaDebit).Available)

			code, out, stderr := run(t, "settlement", "--data-dir", n.dataDir(), "--merchant", "WACATALOGO00001", "--format", "json")
			require.Equal(t, exitOK, code, stderr)
			var rep settlementReport
			require.NoError(t, json.Unmarshal([]byte(out), &rep))
			require.Len(t, rep.Payouts, 1)
			require.EqualValues(t, 11700, rep.Payouts[0].Gross)
			require.EqualValues(t, payment.num("merchant_fee"), rep.Payouts[0].MDR)
			require.EqualValues(t, payment.num("merchant_net"), rep.Payouts[0].Net)
		})
		t.Run("a payment beyond the balance is declined 51 with its reason", func(t *testing.T) {
			poor := n.walletCard(ana, n.card("bancodobrasil", bandeira.Debit, "insufficient-funds"))
			d := n.walletMust(http.StatusCreated, "POST", "/v1/payments", map[string]any{"user_id": ana, "card_id": poor.str("id"),
				"merchant_id": "PADARIA00000001", "items": []map[string]any{{"product_id": "pao-de-queijo", "quantity": 1}},
				"confirmation": map[string]string{"pin": "246810"}})
			require.Equal(t, "declined", d.str("status"))
			require.Equal(t, "51", d.str("response_code"))
			require.Equal(t, "Insufficient funds", d.str("reason"))
		})
		t.Run("a transfer moves money between two issuers' cards, free, and books nothing at the acquirer", func(t *testing.T) {
			from, to := n.balance(anaDebit), n.balance(biaDebit)
			entries := n.metric("bandeira_acquirer_journal_entries_total")
			tr := n.walletMust(http.StatusCreated, "POST", "/v1/transfers", map[string]any{"from_user_id": ana,
				"card_id": anaCard.str("id"), "to_phone": "+5521987650002", "amount": 2500, "message": "o bolo",
				"confirmation": map[string]string{"pin": "246810"}})
			require.Equal(t, "completed", tr.str("status"), "%s", tr.raw)
			require.Equal(t, from.Available-2500, n.balance(anaDebit).Available)
			require.Equal(t, to.Ledger+2500, n.balance(biaDebit).Ledger)
			require.Equal(t, entries, n.metric("bandeira_acquirer_journal_entries_total"), "account funding and original credit are not sales")
			code, out, _ := run(t, "settlement", "--data-dir", n.dataDir(), "--merchant", "FACEBOOKPAY0001", "--format", "json")
			require.Equal(t, exitOK, code)
			require.Contains(t, out, `"payouts": []`)
		})
		t.Run("three wrong PINs lock payments with 423, and nothing reaches the network", func(t *testing.T) {
			sent := n.gatewayRequests()
			pay := func(pin string) apiResponse {
				return n.walletDo("POST", "/v1/transfers", map[string]any{"from_user_id": bia, "card_id": biaCard.str("id"),
					"to_phone": "+5511987650001", "amount": 100, "confirmation": map[string]string{"pin": pin}})
			}
			require.Equal(t, http.StatusForbidden, pay("111112").status)
			require.Equal(t, http.StatusForbidden, pay("111113").status)
			require.Equal(t, http.StatusLocked, pay("111114").status)
			require.Equal(t, "pin_locked", pay("135790").code())
			require.Equal(t, sent, n.gatewayRequests())
			reset := n.walletMust(http.StatusOK, "POST", "/v1/users/"+bia+"/pin/reset", map[string]string{"card_id": biaCard.str("id"),
				"pan": biaDebit.PAN.Digits(), "expiry": biaDebit.Expiry, "cvv2": biaDebit.CVV2, "pin": "975310"})
			require.Equal(t, false, reset.body["pin_locked"])
		})
		t.Run("a retried payment with its Idempotency-Key is charged once", func(t *testing.T) {
			before, sent := n.balance(anaDebit), n.gatewayRequests()
			body := map[string]any{"user_id": ana, "card_id": anaCard.str("id"), "merchant_id": "RESTAURANTE0001",
				"items": []map[string]any{{"product_id": "acaraje", "quantity": 2}}, "confirmation": map[string]string{"pin": "246810"}}
			first := n.walletMust(http.StatusCreated, "POST", "/v1/payments", body, "Idempotency-Key", "pedido-77", "X-App", "messenger")
			again := n.walletMust(http.StatusCreated, "POST", "/v1/payments", body, "Idempotency-Key", "pedido-77", "X-App", "messenger")
			require.Equal(t, first.raw, again.raw)
			require.Equal(t, "messenger", first.str("app"))
			require.Equal(t, sent+1, n.gatewayRequests(), "one payment")
			require.Equal(t, before.Available-2400, n.balance(anaDebit).Available)
		})
		t.Run("the issuer's logs never hold the token and the gateway's never the card behind it", func(t *testing.T) {
			token, _ := n.walletToken(anaCard.str("id"))
			checkTokenLogs(t, n, anaDebit.PAN, token)
		})
		t.Run("a forged or replayed cryptogram is declined 05 by the network", func(t *testing.T) {
			// A card of its own: the test signs with the requestor's key as the wallet does,
			// and the counters it spends are spent for the wallet too.
			spare := n.walletCard(ana, n.nthCard("sicredi", bandeira.Visa, bandeira.Debit, 1))
			token, expiry := n.walletToken(spare.str("id"))
			key := bandeira.TokenKey(n.requestorKey(), token)
			pay := func(counter uint32, forge bool) string {
				m := n.request("0200", tokenCard(token, expiry), "000000", 500)
				a, err := iso.ToAuthorization(m)
				require.NoError(t, err)
				a.Cryptogram = &bandeira.Cryptogram{Value: bandeira.TokenCryptogram(key, &a, counter), Counter: counter}
				if forge {
					a.Cryptogram.Value = strings.Repeat("0", 16)
				}
				return n.code(iso.FromAuthorization(a))
			}
			require.Equal(t, "00", pay(1000, false), "a good cryptogram from the requestor's key")
			require.Equal(t, "05", pay(1001, true))
			require.Equal(t, "05", pay(1000, false), "the same counter in a new message")
			require.Equal(t, "05", pay(999, false))
			require.Equal(t, 1.0, n.metric("bandeira_network_token_cryptogram_failures_total", `reason="forged"`))
			require.Equal(t, 2.0, n.metric("bandeira_network_token_cryptogram_failures_total", `reason="replayed"`))
		})
		t.Run("bad input is refused with a 4xx and a code, and nothing reaches the network", func(t *testing.T) {
			walletBadInput(t, n, ana, bia, anaCard.str("id"), biaCard.str("id"))
		})
		t.Run("a transfer whose push fails has its pull reversed", func(t *testing.T) {
			cleo := n.walletUser("Cleo", "+5531987650003", "246810")
			closing := n.nthCard("nubank", bandeira.Mastercard, bandeira.Prepaid, 40)
			n.walletCard(cleo, closing)
			n.restartWith("issuers: {cards_per_bin: 30}") // Nubank closes the account of card 40
			before, entries := n.balance(anaDebit), n.metric("bandeira_acquirer_journal_entries_total")
			tr := n.walletMust(http.StatusCreated, "POST", "/v1/transfers", map[string]any{"from_user_id": ana,
				"card_id": anaCard.str("id"), "to_phone": "+5531987650003", "amount": 3000, "confirmation": map[string]string{"pin": "246810"}})
			require.Equal(t, "failed", tr.str("status"), "%s", tr.raw)
			require.Equal(t, "14", tr.str("response_code"))
			require.Equal(t, "reversed", tr.str("reversal"))
			require.Equal(t, before, n.balance(anaDebit), "the pull was reversed at the issuer")
			require.Equal(t, entries, n.metric("bandeira_acquirer_journal_entries_total"), "the acquirer journals neither leg nor the reversal")
		})
		t.Run("a removed card and a cancelled charge pay nothing, and the gateway sees nothing of them", func(t *testing.T) {
			spare := n.walletCard(ana, n.nthCard("sicredi", bandeira.Visa, bandeira.Debit, 2))
			n.walletMust(http.StatusNoContent, "DELETE", "/v1/users/"+ana+"/cards/"+spare.str("id"), nil)
			chg := n.walletMust(http.StatusCreated, "POST", "/v1/charges", map[string]any{"merchant_id": "PADARIA00000001",
				"to_phone": "+5511987650001", "amount": 990, "description": "Pão"}).str("id")
			require.Equal(t, "cancelled", n.walletMust(http.StatusOK, "POST", "/v1/charges/"+chg+"/cancel",
				map[string]string{"merchant_id": "PADARIA00000001"}).str("status"))
			sent := n.gatewayRequests()
			r := n.walletDo("POST", "/v1/payments", map[string]any{"user_id": ana, "card_id": spare.str("id"), "merchant_id": "WACATALOGO00001",
				"items": []map[string]any{{"product_id": "pao-de-mel-6", "quantity": 1}}, "confirmation": map[string]string{"pin": "246810"}})
			require.Equal(t, "card_not_found", r.code(), "%s", r.raw)
			r = n.walletDo("POST", "/v1/charges/"+chg+"/pay", map[string]any{"user_id": ana, "card_id": anaCard.str("id"),
				"confirmation": map[string]string{"pin": "246810"}})
			require.Equal(t, "charge_cancelled", r.code(), "%s", r.raw)
			require.Equal(t, sent, n.gatewayRequests())
		})
		t.Run("what was answered survives kill -9", func(t *testing.T) {
			n.crash()
			require.Equal(t, "approved", n.walletMust(http.StatusOK, "GET", "/v1/payments/"+payment.str("id"), nil).str("status"))
			items := n.walletMust(http.StatusOK, "GET", "/v1/users/"+ana+"/activity", nil).body["items"].([]any)
			require.GreaterOrEqual(t, len(items), 4)
			again := n.walletMust(http.StatusCreated, "POST", "/v1/payments", map[string]any{"user_id": ana,
				"card_id": anaCard.str("id"), "merchant_id": "WACATALOGO00001", "items": []map[string]any{{"product_id": "pao-de-mel-6", "quantity": 1}},
				"confirmation": map[string]string{"pin": "246810"}})
			require.Equal(t, "approved", again.str("status"), "the card's counter and the token survived: %s", again.raw)
		})
	})
}

// tokenCard is a token as a card for testNet.request.
func tokenCard(token bandeira.PAN, expiry string) issuers.Card {
	return issuers.Card{PAN: token, Expiry: expiry}
}

// checkTokenLogs checks every log line: no card number or token in full anywhere; the
// issuers' lines never show the token, the gateway's token payments (0200) show the token
// and never the card.
func checkTokenLogs(t *testing.T, n *testNet, pan, token bandeira.PAN) {
	logs := n.logs.String()
	require.NotContains(t, logs, pan.Digits())
	require.NotContains(t, logs, token.Digits())
	var gatewaySawToken bool
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		role, _ := line["role"].(string)
		component, _ := line["component"].(string)
		text := sc.Text()
		switch {
		case strings.HasPrefix(role, "issuer:") || (role == "" && component == "issuer"):
			require.NotContains(t, text, token.String(), "an issuer's log line shows the token: %s", text)
		case role == "gateway" || (role == "" && component == "gateway"):
			if line["mti"] == "0200" {
				require.NotContains(t, text, pan.String(), "the gateway's log line shows the card: %s", text)
				gatewaySawToken = gatewaySawToken || strings.Contains(text, token.String())
			}
		}
	}
	require.True(t, gatewaySawToken, "the gateway logs the token payments, masked")
	require.NoError(t, sc.Err())
}

// walletBadInput sends the list of bad input and checks each 4xx and code, and
// that the gateway saw none of it.
func walletBadInput(t *testing.T, n *testNet, ana, bia, anaCard, biaCard string) {
	device := newDevice(t, n, bia, "975310")
	toAna := transferPurpose(biaCard, "+5511987650001", 100)
	used := device.confirmation(t, n, bia, toAna)
	n.walletMust(http.StatusCreated, "POST", "/v1/transfers", map[string]any{"from_user_id": bia, "card_id": biaCard,
		"to_phone": "+5511987650001", "amount": 100, "confirmation": used})
	expired, wrong := device.challenge(t, n, bia, toAna), device.confirmation(t, n, bia, toAna)
	otherAmount := device.confirmation(t, n, bia, toAna)
	wrong["signature"] = used["signature"]
	sent := n.gatewayRequests()
	pay := func(edit func(b map[string]any)) map[string]any {
		b := map[string]any{"user_id": ana, "card_id": anaCard, "merchant_id": "WACATALOGO00001",
			"items": []map[string]any{{"product_id": "brigadeiros-12", "quantity": 1}}, "confirmation": map[string]string{"pin": "246810"}}
		edit(b)
		return b
	}
	transfer := func(edit func(b map[string]any)) map[string]any {
		b := map[string]any{"from_user_id": ana, "card_id": anaCard, "to_phone": "+5521987650002", "amount": 100,
			"confirmation": map[string]string{"pin": "246810"}}
		edit(b)
		return b
	}
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"malformed JSON", "POST", "/v1/payments", `{"user_id":`, 400, "malformed_json"},
		{"an unknown field", "POST", "/v1/payments", pay(func(b map[string]any) { b["tip"] = 100 }), 400, "malformed_json"},
		{"a wrong type", "POST", "/v1/transfers", transfer(func(b map[string]any) { b["amount"] = "1.00" }), 400, "invalid_request"},
		{"a negative amount", "POST", "/v1/transfers", transfer(func(b map[string]any) { b["amount"] = -100 }), 400, "invalid_request"},
		{"a zero amount", "POST", "/v1/transfers", transfer(func(b map[string]any) { b["amount"] = 0 }), 400, "invalid_request"},
		{"an amount over the transfer limit", "POST", "/v1/transfers", transfer(func(b map[string]any) { b["amount"] = 100_001 }), 422, "limit_exceeded"},
		{"an unknown user", "POST", "/v1/payments", pay(func(b map[string]any) { b["user_id"] = "usr_0000000000000000" }), 404, "user_not_found"},
		{"an unknown card", "POST", "/v1/payments", pay(func(b map[string]any) { b["card_id"] = "card_0000000000000000" }), 404, "card_not_found"},
		{"a card of another user", "POST", "/v1/payments", pay(func(b map[string]any) { b["card_id"] = biaCard }), 403, "card_not_owned"},
		{"an expired card", "POST", "/v1/users/" + ana + "/cards", map[string]string{"pan": "4000010200000017", "expiry": "2401", "cvv2": "123"}, 422, "card_expired"},
		{"a PIN that is not 6 digits", "POST", "/v1/payments", pay(func(b map[string]any) { b["confirmation"] = map[string]string{"pin": "2468"} }), 400, "invalid_pin"},
		{"a challenge that does not exist", "POST", "/v1/payments", pay(func(b map[string]any) {
			b["confirmation"] = map[string]string{"device_id": "dev_0000000000000000", "challenge_id": "chl_0000000000000000", "signature": "AA"}
		}), 404, "device_not_found"},
		{"another user's card for a transfer", "POST", "/v1/transfers", transfer(func(b map[string]any) { b["card_id"] = biaCard }), 403, "card_not_owned"},
		{"a body over the limit", "POST", "/v1/charges", `{"description":"` + strings.Repeat("x", 20_000) + `"}`, 413, "body_too_large"},
		{"a replayed challenge", "POST", "/v1/transfers", map[string]any{"from_user_id": bia, "card_id": biaCard,
			"to_phone": "+5511987650001", "amount": 100, "confirmation": used}, 409, "challenge_used"},
		{"a wrong signature", "POST", "/v1/transfers", map[string]any{"from_user_id": bia, "card_id": biaCard,
			"to_phone": "+5511987650001", "amount": 100, "confirmation": wrong}, 403, "invalid_signature"},
		{"a challenge issued for another amount", "POST", "/v1/transfers", map[string]any{"from_user_id": bia, "card_id": biaCard,
			"to_phone": "+5511987650001", "amount": 9_900, "confirmation": otherAmount}, 403, "challenge_mismatch"},
	}
	for _, c := range cases {
		r := n.walletDo(c.method, c.path, c.body)
		require.Equal(t, c.status, r.status, "%s: %s", c.name, r.raw)
		require.Equal(t, c.code, r.code(), "%s: %s", c.name, r.raw)
	}
	t.Run("an expired challenge is 410", func(t *testing.T) {
		require.Eventually(t, func() bool { return time.Now().After(expired.expires) }, 10*time.Second, 10*time.Millisecond)
		r := n.walletDo("POST", "/v1/transfers", map[string]any{"from_user_id": bia, "card_id": biaCard,
			"to_phone": "+5511987650001", "amount": 100, "confirmation": device.sign(t, expired)})
		require.Equal(t, http.StatusGone, r.status, "%s", r.raw)
		require.Equal(t, "challenge_expired", r.code())
	})
	require.Equal(t, sent, n.gatewayRequests(), "nothing reached the gateway")
}

// TestWalletDataIsARolesData covers the wallet's data as a role's: its lock refuses a second
// wallet on the same data, and --reset deletes the wallet's data and the token vaults.
func TestWalletDataIsARolesData(t *testing.T) {
	n := mustStartNet(t)
	ana := n.walletUser("Ana", "+5511987650001", "246810")
	n.walletCard(ana, n.card("sicredi", bandeira.Debit, ""))
	t.Run("a wallet node on the data of a running network refuses to start", func(t *testing.T) {
		code, _, errOut := run(t, "node", "--role", "wallet", "--config", n.cfgPath)
		require.Equal(t, exitFail, code)
		require.Contains(t, errOut, "is in use")
	})
	t.Run("run --reset starts the wallet and the vaults over", func(t *testing.T) {
		n.stop()
		require.FileExists(t, filepath.Join(n.dataDir(), "networks", "visa-tokens.db"))
		m := NewMain(n.cfg, zerolog.New(zerolog.NewTestWriter(t)))
		m.Reset = true
		require.NoError(t, m.Run(context.Background()))
		resp, err := http.Get("http://" + m.WalletAddr() + "/v1/users")
		require.NoError(t, err)
		var body struct{ Users []any }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		require.NoError(t, m.Close())
		require.Empty(t, body.Users, "the wallet starts over")
		vault, err := store.OpenReadOnly(filepath.Join(n.dataDir(), "networks", "visa-tokens.db"), 1)
		require.NoError(t, err)
		defer vault.Close()
		var tokens int
		require.NoError(t, vault.QueryRow("SELECT count(*) FROM tokens").Scan(&tokens))
		require.Zero(t, tokens, "the vault starts over")
	})
}
