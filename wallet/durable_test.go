package wallet_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestDurability(t *testing.T) {
	h := newHarness(t)
	phone := h.phone()
	id := h.user("Ana", phone, "246810")
	cardID := h.card(id, debitPAN)
	p := h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, 1, pin("246810")))

	t.Run("users, PINs, cards, payments and counters survive a restart", func(t *testing.T) {
		h.restart()
		require.Equal(t, phone, h.must(http.StatusOK, "GET", "/v1/users/"+id, nil).str("phone"))
		require.Len(t, h.must(http.StatusOK, "GET", "/v1/users/"+id+"/cards", nil).body["cards"], 1)
		require.Equal(t, "approved", h.must(http.StatusOK, "GET", "/v1/payments/"+p.str("id"), nil).str("status"))
		again := h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(id, cardID, 1, pin("246810")))
		require.Equal(t, "approved", again.str("status"), "the card's cryptogram counter went on from where it was")
		require.Equal(t, "wrong_pin", h.must(http.StatusForbidden, "POST", "/v1/payments", catalogPayment(id, cardID, 1, pin("000001"))).code())
	})
	t.Run("the files hold no PAN, CVV2 or PIN", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join(h.dir, "wallet", "*"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, secret := range []string{debitPAN, "246810", `"cvv2"`} {
				require.False(t, bytes.Contains(b, []byte(secret)), "%s holds %s", f, secret)
			}
		}
	})
	t.Run("a payment a crash left without an answer is reversed and failed at the next start", func(t *testing.T) {
		release := h.net.holdPayments()
		defer release()
		before := h.net.paymentsSent()
		go h.do("POST", "/v1/payments", catalogPayment(id, cardID, 1, pin("246810")))
		require.Eventually(t, func() bool { return h.net.paymentsSent() > before }, 10*time.Second, 5*time.Millisecond)
		h.crash()
		release()
		items := h.must(http.StatusOK, "GET", "/v1/users/"+id+"/activity", nil).body["items"].([]any)
		last := items[0].(map[string]any)["payment"].(map[string]any)
		require.Equal(t, "failed", last["status"])
		require.Equal(t, "queued", last["reversal"])
		require.Eventually(t, func() bool {
			return testutil.ToFloat64(h.safM.Sent.WithLabelValues("wallet->gateway", "acknowledged")) == 1
		}, 30*time.Second, 10*time.Millisecond, "the queued reversal reaches the network and is acknowledged")
	})
}
