package main

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// TestWalletPageInChromium drives the wallet's page in headless Chromium against the real
// network: create a user and a PIN, add a card, pay a catalog item with the PIN, send
// money to a contact, and see both in the history (saving a screenshot in the test's
// temporary directory); then set up the fingerprint and pay with it.
func TestWalletPageInChromium(t *testing.T) {
	wd := startWebDriver(t)
	n := mustStartNet(t)
	bia := n.walletUser("Bia", "+5521987650002", "135790")
	n.walletCard(bia, n.nthCard("nubank", bandeira.Mastercard, bandeira.Debit, 0))
	card := n.card("bancodobrasil", bandeira.Debit, "")

	wd.open("http://" + n.walletAddr + "/")
	t.Run("a new user chooses a PIN", func(t *testing.T) {
		wd.click("#new-user-btn")
		wd.typeInto("#onboard-name", "Ana")
		wd.typeInto("#onboard-phone", "+5511987650001")
		wd.click("#onboard-submit")
		wd.waitUntil("document.querySelector('#pin-dialog').open", "the PIN dialog")
		wd.typeInto("#pin-setup-input", "246810")
		wd.click("#pin-setup-submit")
		wd.waitUntil("!document.querySelector('#pin-dialog').open", "the PIN saved")
	})
	t.Run("adds a card", func(t *testing.T) {
		wd.click("#cards-btn")
		wd.typeInto("#card-pan", card.PAN.Digits())
		wd.typeInto("#card-expiry", card.Expiry)
		wd.typeInto("#card-cvv2", card.CVV2)
		wd.click("#card-submit")
		wd.waitUntil("document.querySelector('.card-item')", "the card in the list")
		require.Contains(t, wd.script("return document.querySelector('.card-item').textContent"), card.PAN.Last4())
		wd.click("#cards-dialog [data-close]")
	})
	t.Run("pays a catalog item with the PIN", func(t *testing.T) {
		wd.click(`li[data-chat="merchant:WACATALOGO00001"]`)
		wd.click(`[data-add-product="brigadeiros-12"]`)
		wd.click("#cart-pay")
		wd.waitUntil("document.querySelector('#confirm-dialog').open", "the confirmation")
		wd.typeInto("#confirm-pin", "246810")
		wd.click("#confirm-submit")
		wd.waitUntil(`document.querySelector('.receipt[data-status="approved"]')`, "an approved receipt")
	})
	t.Run("sends money to a contact", func(t *testing.T) {
		wd.click(`li[data-chat="contact:` + bia + `"]`)
		wd.typeInto("#send-amount", "25,00")
		wd.typeInto("#send-message", "pelo bolo")
		wd.click("#send-submit")
		wd.waitUntil("document.querySelector('#confirm-dialog').open", "the confirmation")
		wd.typeInto("#confirm-pin", "246810")
		wd.click("#confirm-submit")
		wd.waitUntil(`document.querySelector('[data-transfer][data-status="completed"]')`, "the money sent")
	})
	t.Run("sees both in the history", func(t *testing.T) {
		wd.click(`li[data-chat="activity"]`)
		wd.waitUntil("document.querySelectorAll('#activity-list .activity-item').length >= 2", "the history")
		text := wd.script("return document.querySelector('#activity-list').textContent").(string)
		require.Contains(t, text, "To Bia")
		require.Contains(t, text, "R$ 25,00")
		require.Contains(t, text, "Doces da Ana")
		require.Contains(t, text, "R$ 36,00")
		path := wd.screenshot(t.TempDir(), "wallet.png")
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Positive(t, fi.Size())
		t.Logf("screenshot: %s", path)
	})
	t.Run("sets up the fingerprint and pays with it: WebCrypto's ECDSA P-256 signature verifies", func(t *testing.T) {
		wd.click("#cards-btn")
		wd.typeInto("#device-pin", "246810")
		wd.click("#device-register")
		wd.waitUntil("document.querySelector('#device-status').textContent.includes('ready')", "the fingerprint set up")
		wd.click("#cards-dialog [data-close]")
		wd.click(`li[data-chat="merchant:PADARIA00000001"]`)
		wd.click(`[data-add-product="pao-de-queijo"]`)
		wd.click("#cart-pay")
		wd.waitUntil("document.querySelector('#confirm-dialog').open", "the confirmation")
		wd.click("#confirm-fingerprint")
		wd.waitUntil(`document.querySelector('.receipt[data-status="approved"]')`, "an approved receipt")
		require.Equal(t, 1.0, n.metric("bandeira_wallet_confirmations_total", `method="device"`, `result="ok"`))
	})
	t.Run("the API agrees with the page", func(t *testing.T) {
		ana := n.walletMust(http.StatusOK, "GET", "/v1/users?phone=%2B5511987650001", nil).body["users"].([]any)[0].(map[string]any)["id"].(string)
		var tokens map[string]string
		require.NoError(t, json.Unmarshal([]byte(wd.script("return localStorage.getItem('wallet.tokens')").(string)), &tokens))
		require.Contains(t, tokens, ana, "the page keeps the token of the user it registered")
		require.Equal(t, http.StatusUnauthorized, n.walletDo("GET", "/v1/users/"+ana+"/activity", nil).status, "the API wants Ana's token")
		n.wallet.adopt(ana, tokens[ana])
		items := n.walletMust(http.StatusOK, "GET", "/v1/users/"+ana+"/activity", nil).body["items"].([]any)
		require.Len(t, items, 3)
		require.Equal(t, "approved", items[0].(map[string]any)["status"])
		require.Equal(t, "completed", items[1].(map[string]any)["status"])
		require.Equal(t, "approved", items[2].(map[string]any)["status"])
	})
}
