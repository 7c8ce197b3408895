package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bandeira/bandeira"
)

// driveWalletLoad drives the wallet in the background until the test ends, so that the
// dashboard's wallet panels have data: each second a catalog payment confirmed with the
// PIN, one confirmed with the device, a transfer to one of three contacts, a wrong PIN and
// a device challenge used for another amount (two confirmation failures, refused before
// the network). The users, cards and device are set up first, through the API, and the
// first round runs before it returns.
func driveWalletLoad(t *testing.T, n *testNet) {
	t.Helper()
	l := &walletLoad{n: n, http: &http.Client{Timeout: 10 * time.Second}}
	l.payer = n.walletUser("Carga", "+5511990000001", "246810")
	l.card = n.walletCard(l.payer, n.nthCard("bancodobrasil", bandeira.Visa, bandeira.Debit, 3)).str("id")
	l.device = newDevice(t, n, l.payer, "246810")
	l.token = n.wallet.token(l.payer)
	contacts := []struct {
		issuer string
		brand  bandeira.Brand
	}{{"nubank", bandeira.Mastercard}, {"sicredi", bandeira.Mastercard}, {"sicredi", bandeira.Visa}}
	for i, c := range contacts {
		phone := fmt.Sprintf("+55219900000%02d", i+2)
		u := n.walletUser("Contato "+c.issuer, phone, "246810")
		n.walletCard(u, n.nthCard(c.issuer, c.brand, bandeira.Debit, 3))
		l.contacts = append(l.contacts, phone)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.round(ctx, 0) // one round before returning, so every wallet series is on /metrics already
	var wg sync.WaitGroup
	wg.Go(func() { l.run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// walletLoad is the background wallet traffic of driveWalletLoad. It runs outside the
// test's goroutine, so it reports nothing: what it did is what the metrics show.
type walletLoad struct {
	n        *testNet
	http     *http.Client
	payer    string
	token    string
	card     string
	device   device
	contacts []string
}

// run runs a round a second until ctx is done.
func (l *walletLoad) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		l.round(ctx, i)
	}
}

// round is one round of the load: i picks the transfer's contact.
func (l *walletLoad) round(ctx context.Context, i int) {
	l.post(ctx, "/v1/payments", l.purchase(map[string]string{"pin": "000001"})) // wrong: a failure, reset by the next
	l.post(ctx, "/v1/payments", l.purchase(map[string]string{"pin": "246810"}))
	l.post(ctx, "/v1/transfers", map[string]any{"from_user_id": l.payer, "card_id": l.card,
		"to_phone": l.contacts[i%len(l.contacts)], "amount": 150, "confirmation": map[string]string{"pin": "246810"}})
	for _, amount := range []int64{850, 1700} { // the second challenge is for another amount: refused
		if conf := l.deviceConfirmation(ctx, amount); conf != nil {
			l.post(ctx, "/v1/payments", l.purchase(conf))
		}
	}
}

// purchase is a payment of one loaf of bread at the bakery (R$ 8.50).
func (l *walletLoad) purchase(confirmation any) map[string]any {
	return map[string]any{"user_id": l.payer, "card_id": l.card, "merchant_id": "PADARIA00000001",
		"items": []map[string]any{{"product_id": "pao-frances-10", "quantity": 1}}, "confirmation": confirmation}
}

// deviceConfirmation asks for a challenge for a bakery payment of amount and signs it;
// nil when the wallet did not answer.
func (l *walletLoad) deviceConfirmation(ctx context.Context, amount int64) map[string]string {
	var ch struct{ ID, Message string }
	body := map[string]any{"user_id": l.payer, "device_id": l.device.id, "for": map[string]any{
		"operation": "payment", "card_id": l.card, "merchant_id": "PADARIA00000001", "amount": amount}}
	if err := json.Unmarshal(l.post(ctx, "/v1/challenges", body), &ch); err != nil || ch.ID == "" {
		return nil
	}
	digest := sha256.Sum256([]byte(ch.Message))
	r, s, err := ecdsa.Sign(rand.Reader, l.device.key, digest[:])
	if err != nil {
		return nil
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	return map[string]string{"device_id": l.device.id, "challenge_id": ch.ID, "signature": base64.StdEncoding.EncodeToString(raw)}
}

// post sends one request as the payer and returns the answer's body (nil on an error).
func (l *walletLoad) post(ctx context.Context, path string, body any) []byte {
	j, err := json.Marshal(body)
	if err != nil {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+l.n.walletAddr+path, bytes.NewReader(j))
	if err != nil {
		return nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := l.http.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return out
}
