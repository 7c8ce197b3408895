package wallet_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/wallet"
)

// walletFiles returns the bytes of every file of the wallet's data directory (the
// database, its write-ahead log, the reversal queue).
func (h *harness) walletFiles() map[string][]byte {
	h.t.Helper()
	files, err := filepath.Glob(filepath.Join(h.dir, "wallet", "*"))
	require.NoError(h.t, err)
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(h.t, err)
		out[f] = b
	}
	return out
}

// cardRow reads a card's stored document.
func (h *harness) cardRow(cardID string) map[string]any {
	h.t.Helper()
	db, err := store.OpenReadOnly(filepath.Join(h.dir, "wallet", "wallet.db"), 1)
	require.NoError(h.t, err)
	defer db.Close()
	var doc []byte
	require.NoError(h.t, db.QueryRow("SELECT doc FROM cards WHERE id = ?", cardID).Scan(&doc))
	var row map[string]any
	require.NoError(h.t, json.Unmarshal(doc, &row))
	return row
}

func TestTokensAreSealedAtRest(t *testing.T) {
	h := newHarness(t)
	ana, bia := h.user("Ana", h.phone(), "246810"), h.user("Bia", h.phone(), "135790")
	anaCard, biaCard := h.card(ana, debitPAN), h.card(bia, debit2PAN)
	tokens := []string{h.net.tokenOf(anaCard), h.net.tokenOf(biaCard)}
	require.NotContains(t, tokens, "")
	require.Equal(t, "approved", h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(ana, anaCard, 1, pin("246810"))).str("status"))
	require.Equal(t, "completed", h.must(http.StatusCreated, "POST", "/v1/transfers", map[string]any{"from_user_id": ana,
		"card_id": anaCard, "to_phone": h.must(http.StatusOK, "GET", "/v1/users/"+bia, nil).str("phone"), "amount": 500,
		"confirmation": pin("246810")}).str("status"))

	t.Run("no file of the wallet holds a token number, in the database or its log", func(t *testing.T) {
		for name, b := range h.walletFiles() {
			for _, tok := range tokens {
				require.False(t, bytes.Contains(b, []byte(tok)), "%s holds a token in clear", name)
			}
		}
	})
	t.Run("a card's row holds the token sealed and its last 4 digits only", func(t *testing.T) {
		row := h.cardRow(anaCard)
		require.NotContains(t, row, "token")
		require.NotEmpty(t, row["sealed_token"])
		require.Equal(t, tokens[0][len(tokens[0])-4:], row["token_last4"])
	})
	t.Run("the cards still pay after a restart, their tokens opened from the rows", func(t *testing.T) {
		h.restart()
		require.Equal(t, "approved", h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(ana, anaCard, 1, pin("246810"))).str("status"))
	})
	t.Run("a wallet with another token key refuses to open rather than pay with tokens it cannot read", func(t *testing.T) {
		h.api.Close()
		require.NoError(t, h.w.Close())
		key := h.tokenKeyFile()
		saved, err := os.ReadFile(key)
		require.NoError(t, err)
		require.NoError(t, os.Remove(key))
		w, err := h.openWallet(wallet.NewMetrics(prometheus.NewRegistry()))
		if err == nil {
			_ = w.Close()
		}
		require.ErrorContains(t, err, "opening the token of card")
		require.NoError(t, os.WriteFile(key, saved, 0o600))
		h.open()
	})
}

func TestVersionOneTokensAreSealedAtOpen(t *testing.T) {
	h := newHarness(t)
	ana := h.user("Ana", h.phone(), "246810")
	cardID := h.card(ana, debitPAN)
	token := h.net.tokenOf(cardID)
	h.api.Close()
	require.NoError(t, h.w.Close())
	writeVersionOne(t, filepath.Join(h.dir, "wallet", "wallet.db"), cardID, token)
	h.open()

	t.Run("Open rewrites the row sealed and leaves no clear number in any file", func(t *testing.T) {
		row := h.cardRow(cardID)
		require.NotContains(t, row, "token")
		require.NotEmpty(t, row["sealed_token"])
		require.Equal(t, token[len(token)-4:], row["token_last4"])
		for name, b := range h.walletFiles() {
			require.False(t, bytes.Contains(b, []byte(token)), "%s holds the token in clear", name)
		}
	})
	t.Run("the card shows its token's last 4 digits and still pays", func(t *testing.T) {
		cards := h.must(http.StatusOK, "GET", "/v1/users/"+ana+"/cards", nil).body["cards"].([]any)
		require.Equal(t, token[len(token)-4:], cards[0].(map[string]any)["token_last4"])
		require.Equal(t, "approved", h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(ana, cardID, 1, pin("246810"))).str("status"))
	})
	t.Run("the database is at schema version 2 and a second start changes nothing", func(t *testing.T) {
		h.restart()
		db, err := store.OpenReadOnly(filepath.Join(h.dir, "wallet", "wallet.db"), 1)
		require.NoError(t, err)
		defer db.Close()
		var v int
		require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&v))
		require.Equal(t, 2, v)
		require.Equal(t, "approved", h.must(http.StatusCreated, "POST", "/v1/payments", catalogPayment(ana, cardID, 1, pin("246810"))).str("status"))
	})
}

// writeVersionOne turns a card's row back into what schema version 1 wrote (the token
// number in clear, no sealed token, no last 4) and the database back to version 1.
func writeVersionOne(t *testing.T, path, cardID, token string) {
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	var doc []byte
	require.NoError(t, db.QueryRowContext(ctx, "SELECT doc FROM cards WHERE id = ?", cardID).Scan(&doc))
	var row map[string]any
	require.NoError(t, json.Unmarshal(doc, &row))
	delete(row, "sealed_token")
	delete(row, "token_last4")
	row["token"] = token
	doc, err = json.Marshal(row)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "UPDATE cards SET doc = ? WHERE id = ?", string(doc), cardID)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "PRAGMA user_version = 1")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	require.NoError(t, err)
}
