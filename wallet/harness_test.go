package wallet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/wallet"
)

// Test cards of the fake network: the product follows the BIN as in the default
// configuration; CVV2 123 is right for all of them.
const (
	debitPAN   = "4000010200000009" // Visa debit
	debit2PAN  = "5260010200000001" // Mastercard debit
	creditPAN  = "5260010100000002" // Mastercard credit
	prepaidPAN = "5260010300000000" // Mastercard prepaid
	poorPAN    = "4000010200000017" // Visa debit with R$ 1.00
	goodCVV2   = "123"
	goodExpiry = "3012"
)

var requestorKey = []byte("0123456789abcdef0123456789abcdef")

// pricer prices every sale at a flat 3.99% (399 bps), rounded half up.
type pricer struct{}

func (pricer) Price(s bandeira.Sale) (bandeira.Fee, error) {
	mdr := (s.Amount*399 + 5_000) / 10_000
	return bandeira.Fee{Gross: s.Amount, MDR: mdr, AcquirerMargin: mdr, Net: s.Amount - mdr}, nil
}

var testMerchants = []wallet.Merchant{
	{ID: "WACATALOGO00001", Name: "Doces da Ana", MCC: "5441", City: "Sao Paulo"},
	{ID: "PADARIA00000001", Name: "Padaria Pao Quente", MCC: "5462", City: "Sao Paulo"},
	{ID: "POSTO0000000001", Name: "Posto Estrada Real", MCC: "5541", City: "Curitiba"},
}

// harness is a wallet over a fake network behind a real ISO 8583 server, with its API on
// an httptest server on loopback.
type harness struct {
	t    *testing.T
	cfg  wallet.Config
	dir  string
	net  *fakeNetwork
	gw   *iso.Client
	reg  *prometheus.Registry
	w    *wallet.Wallet
	api  *httptest.Server
	skew atomic.Int64 // how far the wallet's clock is ahead of real time, in nanoseconds
	safM *saf.Metrics
	seq  atomic.Int64 // for unique phone numbers

	mu     sync.Mutex
	tokens map[string]string // bearer tokens by user ID, from POST /v1/users
	owners map[string]string // the user of each payment and transfer seen
}

func testConfig() wallet.Config {
	cfg := wallet.DefaultConfig()
	cfg.PIN.Iterations = 1000
	cfg.RequestTimeout = 5 * time.Second
	cfg.Limits.ReceivedPerDay = 3
	return cfg
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, testConfig())
}

func newHarnessWith(t *testing.T, cfg wallet.Config) *harness {
	t.Helper()
	h := &harness{t: t, cfg: cfg, dir: t.TempDir(), net: newFakeNetwork(requestorKey),
		tokens: map[string]string{}, owners: map[string]string{}}
	srv := iso.NewServer(iso.DefaultServerConfig(), h.net, zerolog.Nop(), iso.NewServerMetrics(nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.gw, err = iso.Dial(ctx, ln.Addr().String(), iso.DefaultClientConfig(), zerolog.Nop())
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.gw.Close() })
	h.open()
	return h
}

// sharedMetrics, when set, are the metrics of every wallet a harness opens (a test that
// counts over several harnesses sets them; tests do not run in parallel).
var sharedMetrics *wallet.Metrics

// open opens the wallet on the harness's directory with fresh metrics and serves it.
func (h *harness) open() {
	h.t.Helper()
	h.reg = prometheus.NewRegistry()
	h.safM = saf.NewMetrics(h.reg)
	m := sharedMetrics
	if m == nil {
		m = wallet.NewMetrics(h.reg)
	}
	var err error
	h.w, err = h.openWallet(m)
	require.NoError(h.t, err)
	h.api = httptest.NewServer(h.w.Handler())
	w, api := h.w, h.api
	h.t.Cleanup(func() {
		api.Close()
		_ = w.Close()
	})
}

// openWallet opens the wallet on the harness's directory with metrics m.
func (h *harness) openWallet(m *wallet.Metrics) (*wallet.Wallet, error) {
	return wallet.Open(context.Background(), h.cfg, h.gw, wallet.Options{
		Dir: filepath.Join(h.dir, "wallet"), TokenKeyFile: h.tokenKeyFile(), Synchronous: "off", AcquirerID: "10000000001", RequestorKey: requestorKey,
		Merchants: testMerchants, Pricer: pricer{}, Log: zerolog.New(zerolog.NewTestWriter(h.t)),
		Metrics: m, SAFMetrics: h.safM, Now: h.clock})
}

// tokenKeyFile is the key that seals the wallet's token numbers, under the data
// directory's keys/ as bandeira run keeps it.
func (h *harness) tokenKeyFile() string { return filepath.Join(h.dir, "keys", "wallet-tokens.key") }

// restart closes the wallet and opens it again on the same data.
func (h *harness) restart() {
	h.t.Helper()
	h.api.Close()
	require.NoError(h.t, h.w.Close())
	h.open()
}

// crash stops the wallet as a crash would, with requests in flight, and opens it again on
// the same data. The old HTTP server is closed once its requests end.
func (h *harness) crash() {
	h.t.Helper()
	old := h.api
	require.NoError(h.t, h.w.Close())
	go old.Close()
	h.open()
}

// clock is the wallet's clock: real time, moved forward by advance.
func (h *harness) clock() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) }

// advance moves the wallet's clock forward.
func (h *harness) advance(d time.Duration) { h.skew.Add(int64(d)) }

// phone returns a phone number no other user of the harness has.
func (h *harness) phone() string { return fmt.Sprintf("+55119%08d", h.seq.Add(1)) }

// response is an API answer.
type response struct {
	status int
	body   map[string]any
	raw    []byte
	header http.Header
}

// code returns the error code of an error response.
func (r response) code() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (r response) num(key string) int64 {
	f, _ := r.body[key].(float64)
	return int64(f)
}

// do sends a request; body is marshalled as JSON unless it is a string or []byte.
// headers are name, value pairs.
func (h *harness) do(method, path string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(h.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.api.URL+path, rd)
	require.NoError(h.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token := h.tokenFor(path, body); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	r := response{status: resp.StatusCode, raw: raw, header: resp.Header}
	_ = json.Unmarshal(raw, &r.body)
	h.remember(r)
	return r
}

// tokenFor returns the bearer token of the user a request acts for, as a client holding
// every user's token would send it: the user of the path (/v1/users/{id}/...), of the
// body (user_id, from_user_id) or of the payment or transfer read. A test that passes its
// own Authorization header overrides it.
func (h *harness) tokenFor(path string, body any) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	parts := strings.Split(strings.SplitN(path, "?", 2)[0], "/")
	switch {
	case len(parts) > 3 && parts[2] == "users":
		return h.tokens[parts[3]]
	case len(parts) == 4 && (parts[2] == "payments" || parts[2] == "transfers"):
		return h.tokens[h.owners[parts[3]]]
	}
	if b, ok := body.(map[string]any); ok {
		for _, k := range []string{"user_id", "from_user_id"} {
			if id, ok := b[k].(string); ok {
				return h.tokens[id]
			}
		}
	}
	return ""
}

// remember keeps the token of a user created and the user of a payment or transfer.
func (h *harness) remember(r response) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := r.str("id")
	if tok := r.str("token"); tok != "" {
		h.tokens[id] = tok
	}
	for _, k := range []string{"user_id", "from_user_id"} {
		if u := r.str(k); u != "" && id != "" {
			h.owners[id] = u
		}
	}
}

// must sends a request and requires the status.
func (h *harness) must(status int, method, path string, body any, headers ...string) response {
	h.t.Helper()
	r := h.do(method, path, body, headers...)
	require.Equal(h.t, status, r.status, "%s %s: %s", method, path, r.raw)
	return r
}

// user registers a user with a PIN and returns its ID.
func (h *harness) user(name, phone, pin string) string {
	h.t.Helper()
	id := h.must(http.StatusCreated, "POST", "/v1/users", map[string]string{"name": name, "phone": phone}).str("id")
	h.must(http.StatusOK, "PUT", "/v1/users/"+id+"/pin", map[string]string{"pin": pin})
	return id
}

// card adds a card to a user and returns its ID.
func (h *harness) card(userID, pan string) string {
	h.t.Helper()
	return h.must(http.StatusCreated, "POST", "/v1/users/"+userID+"/cards",
		map[string]string{"pan": pan, "expiry": goodExpiry, "cvv2": goodCVV2}).str("id")
}

// pin is a PIN confirmation.
func pin(p string) map[string]string { return map[string]string{"pin": p} }
