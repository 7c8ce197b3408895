package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/issuers"
)

// apiResponse is an answer of the wallet's API.
type apiResponse struct {
	status int
	body   map[string]any
	raw    []byte
}

func (r apiResponse) str(key string) string { s, _ := r.body[key].(string); return s }

func (r apiResponse) num(key string) int64 { f, _ := r.body[key].(float64); return int64(f) }

func (r apiResponse) code() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// walletDo sends a request to the wallet's API; body is JSON unless it is a string.
// headers are name, value pairs.
func (n *testNet) walletDo(method, path string, body any, headers ...string) apiResponse {
	n.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(n.t, err)
		rd = bytes.NewReader(j)
	}
	scheme := "http://"
	if tr, ok := n.web.Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		scheme = "https://"
	}
	req, err := http.NewRequest(method, scheme+n.walletAddr+path, rd)
	require.NoError(n.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token := n.wallet.tokenFor(path, body); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := n.web.Do(req)
	require.NoError(n.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(n.t, err)
	r := apiResponse{status: resp.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	n.wallet.remember(r)
	return r
}

// walletMust sends a request to the wallet and requires the status.
func (n *testNet) walletMust(status int, method, path string, body any, headers ...string) apiResponse {
	n.t.Helper()
	r := n.walletDo(method, path, body, headers...)
	require.Equal(n.t, status, r.status, "%s %s: %s", method, path, r.raw)
	return r
}

// walletUser registers a user with a PIN and returns its ID.
func (n *testNet) walletUser(name, phone, pin string) string {
	n.t.Helper()
	id := n.walletMust(http.StatusCreated, "POST", "/v1/users", map[string]string{"name": name, "phone": phone}).str("id")
	n.walletMust(http.StatusOK, "PUT", "/v1/users/"+id+"/pin", map[string]string{"pin": pin})
	return id
}

// walletCard adds the test card c to a user and returns the card's view.
func (n *testNet) walletCard(userID string, c issuers.Card) apiResponse {
	n.t.Helper()
	return n.walletMust(http.StatusCreated, "POST", "/v1/users/"+userID+"/cards",
		map[string]string{"pan": c.PAN.Digits(), "expiry": c.Expiry, "cvv2": c.CVV2})
}

// nthCard returns the index-th regular card of an issuer, brand and product.
func (n *testNet) nthCard(issuer string, brand bandeira.Brand, product bandeira.Product, index int) issuers.Card {
	n.t.Helper()
	for _, c := range n.cards {
		if c.Issuer == issuer && c.Brand == brand && c.Product == product && c.Scenario == "" {
			if index == 0 {
				return c
			}
			index--
		}
	}
	n.t.Fatalf("no such card: %s %s %s", issuer, brand, product)
	return issuers.Card{}
}

// walletToken reads a card's token number and expiry from the wallet's database (which
// only the test reads: the API shows the last 4 digits), opening the sealed number with
// the wallet's token key as the wallet does.
func (n *testNet) walletToken(cardID string) (bandeira.PAN, string) {
	n.t.Helper()
	db, err := store.OpenReadOnly(filepath.Join(n.dataDir(), "wallet", "wallet.db"), 1)
	require.NoError(n.t, err)
	defer db.Close()
	var doc []byte
	require.NoError(n.t, db.QueryRow("SELECT doc FROM cards WHERE id = ?", cardID).Scan(&doc))
	var c struct {
		SealedToken []byte `json:"sealed_token"`
		TokenExpiry string `json:"token_expiry"`
	}
	require.NoError(n.t, json.Unmarshal(doc, &c))
	key, err := seal.LoadOrCreate(filepath.Join(n.dataDir(), "keys", "wallet-tokens.key"))
	require.NoError(n.t, err)
	plain, err := key.Open(c.SealedToken)
	require.NoError(n.t, err)
	id, number, ok := strings.Cut(string(plain), "\x00")
	require.True(n.t, ok && id == cardID, "the sealed token names its card")
	return bandeira.PAN(number), c.TokenExpiry
}

// requestorKey reads the wallet's token requestor key, which the networks hold too.
func (n *testNet) requestorKey() []byte {
	n.t.Helper()
	key, err := seal.LoadOrCreateKey(filepath.Join(n.dataDir(), "tokens", "facebookpay.key"))
	require.NoError(n.t, err)
	return key
}

// gatewayRequests sums the gateway's request counter.
func (n *testNet) gatewayRequests() float64 {
	n.t.Helper()
	return n.metric("bandeira_gateway_requests_total")
}

// restartWith stops the network and starts it again on the same data with extra YAML
// merged over its configuration.
func (n *testNet) restartWith(extra string) {
	n.t.Helper()
	n.stop()
	body, err := os.ReadFile(n.cfgPath)
	require.NoError(n.t, err)
	require.NoError(n.t, os.WriteFile(n.cfgPath, mergeYAML(n.t, string(body), extra), 0o600))
	n.start()
}

// crash kills the network's wallet as kill -9 would: the whole process in one process,
// the wallet's node with --processes (started again with the command the supervisor
// logs); then it waits for the wallet to serve again.
func (n *testNet) crash() {
	n.t.Helper()
	if n.topo == oneProcess {
		_ = n.client.Close()
		require.NoError(n.t, n.cmd.Process.Kill())
		<-n.exited
		n.cmd = nil
		n.start()
		return
	}
	require.NoError(n.t, signalPID(n.nodes["wallet"].pid, syscall.SIGKILL))
	restartNode(n.t, n, "wallet")
	require.Eventually(n.t, func() bool {
		resp, err := n.web.Get("http://" + n.walletAddr + "/v1/merchants")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "the wallet did not come back")
}

// restartNode starts a node again with the command the supervisor logged when it died;
// the node is stopped when the test ends.
func restartNode(t *testing.T, n *testNet, role string) {
	t.Cleanup(startNode(t, n, restartCommand(t, n, role)).stop)
}

// device is a device key registered with the wallet, as a test holds it.
type device struct {
	id  string
	key *ecdsa.PrivateKey
}

// challenge is a challenge the wallet issued: the device signs message.
type challenge struct {
	id, message string
	expires     time.Time
}

// newDevice registers a fresh ECDSA P-256 key for a user, confirmed with the PIN.
func newDevice(t *testing.T, n *testNet, userID, pin string) device {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	id := n.walletMust(http.StatusCreated, "POST", "/v1/users/"+userID+"/devices", map[string]any{"name": "test phone",
		"public_key": base64.StdEncoding.EncodeToString(der), "confirmation": map[string]string{"pin": pin}}).str("id")
	return device{id: id, key: key}
}

// challenge asks the wallet for a challenge for d that confirms purpose (the API's "for").
func (d device) challenge(t *testing.T, n *testNet, userID string, purpose map[string]any) challenge {
	r := n.walletMust(http.StatusCreated, "POST", "/v1/challenges", map[string]any{"user_id": userID, "device_id": d.id, "for": purpose})
	exp, err := time.Parse(time.RFC3339Nano, r.str("expires_at"))
	require.NoError(t, err)
	return challenge{id: r.str("id"), message: r.str("message"), expires: exp}
}

// sign signs c as WebCrypto does (r‖s) and returns the confirmation.
func (d device) sign(t *testing.T, c challenge) map[string]string {
	digest := sha256.Sum256([]byte(c.message))
	r, s, err := ecdsa.Sign(rand.Reader, d.key, digest[:])
	require.NoError(t, err)
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	s.FillBytes(raw[32:])
	return map[string]string{"device_id": d.id, "challenge_id": c.id, "signature": base64.StdEncoding.EncodeToString(raw)}
}

// confirmation asks for a challenge for purpose and signs it.
func (d device) confirmation(t *testing.T, n *testNet, userID string, purpose map[string]any) map[string]string {
	return d.sign(t, d.challenge(t, n, userID, purpose))
}

// transferPurpose is what a device confirms for a transfer.
func transferPurpose(cardID, toPhone string, amount int64) map[string]any {
	return map[string]any{"operation": "transfer", "card_id": cardID, "to_phone": toPhone, "amount": amount}
}
