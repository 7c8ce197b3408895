package network

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
)

const (
	testRequestor = "40000000011"
	testCard      = bandeira.PAN("4000010200000009")
	testExpiry    = "3105"
)

var testRequestorKey = []byte("0123456789abcdef0123456789abcdef")

// tokenHarness is a Visa token service over a recording fake issuer.
type tokenHarness struct {
	t      *testing.T
	dir    string
	svc    *Tokens
	vault  *Vault
	m      *TokenMetrics
	mu     sync.Mutex
	seen   []bandeira.Authorization // what the issuer was sent
	answer bandeira.ResponseCode
	stan   int
}

func newTokenHarness(t *testing.T) *tokenHarness {
	t.Helper()
	h := &tokenHarness{t: t, dir: t.TempDir(), answer: bandeira.Approved, m: NewTokenMetrics(prometheus.NewRegistry())}
	h.open()
	return h
}

// open (re)opens the vault in the harness's directory and builds the service over it.
func (h *tokenHarness) open() {
	h.t.Helper()
	sealer, err := seal.LoadOrCreate(filepath.Join(h.dir, "visa-tokens.key"))
	require.NoError(h.t, err)
	h.vault, err = OpenVault(context.Background(), filepath.Join(h.dir, "visa-tokens.db"), "", sealer)
	require.NoError(h.t, err)
	vault := h.vault
	h.t.Cleanup(func() { _ = vault.Close() })
	issuer := bandeira.AuthorizerFunc(func(_ context.Context, a bandeira.Authorization) (bandeira.Result, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.seen = append(h.seen, a)
		return bandeira.Result{Code: h.answer, AuthCode: "A1B2C3", Product: bandeira.Debit, Issuer: "bancodobrasil"}, nil
	})
	now := func() time.Time { return time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC) }
	h.svc, err = NewTokens(bandeira.Visa, DefaultTokenConfig().Ranges[bandeira.Visa], map[string][]byte{testRequestor: testRequestorKey},
		h.vault, issuer, zerolog.New(zerolog.NewTestWriter(h.t)), h.m, now)
	require.NoError(h.t, err)
}

func (h *tokenHarness) last() bandeira.Authorization {
	h.mu.Lock()
	defer h.mu.Unlock()
	require.NotEmpty(h.t, h.seen)
	return h.seen[len(h.seen)-1]
}

func (h *tokenHarness) sent() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

// request builds a request with a fresh key.
func (h *tokenHarness) request(mti bandeira.MTI, pan bandeira.PAN, proc string, amount bandeira.Amount) bandeira.Authorization {
	h.stan++
	return bandeira.Authorization{MTI: mti, PAN: pan, ProcessingCode: proc, Amount: amount, AmountPresent: true,
		TransmissionTime: "0615120000", STAN: fmt.Sprintf("%06d", h.stan), AcquirerID: "10000000001",
		TerminalID: "WAPP0001", Expiry: testExpiry}
}

// tokenize asks for a token for card under reference.
func (h *tokenHarness) tokenize(card bandeira.PAN, reference string) bandeira.Result {
	h.t.Helper()
	a := h.request(bandeira.MTIAuthorization, card, "000000", 0)
	a.TokenRequest = &bandeira.TokenRequest{RequestorID: testRequestor, Reference: reference}
	res, err := h.svc.Authorize(context.Background(), a)
	require.NoError(h.t, err)
	return res
}

// pay builds a purchase on token signed with counter.
func (h *tokenHarness) pay(token bandeira.PAN, counter uint32) bandeira.Authorization {
	a := h.request(bandeira.MTIFinancial, token, "000000", 3600)
	a.Cryptogram = &bandeira.Cryptogram{Value: bandeira.TokenCryptogram(bandeira.TokenKey(testRequestorKey, token), &a, counter), Counter: counter}
	return a
}

func (h *tokenHarness) authorize(a bandeira.Authorization) bandeira.Result {
	h.t.Helper()
	res, err := h.svc.Authorize(context.Background(), a)
	require.NoError(h.t, err)
	return res
}

func TestTokenization(t *testing.T) {
	h := newTokenHarness(t)
	res := h.tokenize(testCard, "card_1")
	require.Equal(t, bandeira.Approved, res.Code)
	require.NotNil(t, res.Token)
	token := res.Token.Number

	t.Run("issues a Luhn-valid token in the brand's range with the card's expiry", func(t *testing.T) {
		require.Len(t, token.Digits(), 16)
		require.True(t, token.LuhnValid())
		require.True(t, DefaultTokenConfig().Ranges[bandeira.Visa].Contains(token))
		require.Equal(t, testExpiry, res.Token.Expiry)
		require.Equal(t, 1.0, testutil.ToFloat64(h.m.Tokenizations.WithLabelValues("visa", TokenIssued)))
		require.Equal(t, 1.0, testutil.ToFloat64(h.m.Tokens.WithLabelValues("visa")))
	})
	t.Run("the issuer verified the card without the token request", func(t *testing.T) {
		got := h.last()
		require.Equal(t, testCard, got.PAN)
		require.Nil(t, got.TokenRequest)
		require.True(t, got.IsAccountVerification())
	})
	t.Run("the same reference gets the same token again", func(t *testing.T) {
		again := h.tokenize(testCard, "card_1")
		require.Equal(t, token, again.Token.Number)
		require.Equal(t, 1.0, testutil.ToFloat64(h.m.Tokenizations.WithLabelValues("visa", TokenReused)))
	})
	t.Run("another reference of the same card gets another token", func(t *testing.T) {
		other := h.tokenize(testCard, "card_2")
		require.NotEqual(t, token, other.Token.Number)
	})
	t.Run("a reference bound to another card is refused with 05", func(t *testing.T) {
		got := h.tokenize("4000010200000017", "card_1")
		require.Equal(t, bandeira.DoNotHonour, got.Code)
		require.Nil(t, got.Token)
	})
	t.Run("a declined verification issues nothing", func(t *testing.T) {
		h.answer = bandeira.CVV2Mismatch
		defer func() { h.answer = bandeira.Approved }()
		got := h.tokenize("4000010200000025", "card_3")
		require.Equal(t, bandeira.CVV2Mismatch, got.Code)
		require.Nil(t, got.Token)
		require.Equal(t, 1.0, testutil.ToFloat64(h.m.Tokenizations.WithLabelValues("visa", TokenDeclined)))
	})
	t.Run("a token request on a purchase is answered 12 and one from an unknown requestor 05, unsent", func(t *testing.T) {
		before := h.sent()
		a := h.request(bandeira.MTIAuthorization, testCard, "000000", 100)
		a.TokenRequest = &bandeira.TokenRequest{RequestorID: testRequestor, Reference: "card_9"}
		require.Equal(t, bandeira.InvalidTransaction, h.authorize(a).Code)
		b := h.request(bandeira.MTIAuthorization, testCard, "000000", 0)
		b.TokenRequest = &bandeira.TokenRequest{RequestorID: "99999999999", Reference: "card_9"}
		require.Equal(t, bandeira.DoNotHonour, h.authorize(b).Code)
		require.Equal(t, before, h.sent())
	})
	t.Run("the vault's files never hold the PAN in clear", func(t *testing.T) {
		require.NoError(t, h.vault.Close())
		files, _ := filepath.Glob(filepath.Join(h.dir, "visa-tokens.db*"))
		require.NotEmpty(t, files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			require.False(t, bytes.Contains(b, []byte(testCard.Digits())), f)
		}
	})
}

func TestTokenPayments(t *testing.T) {
	h := newTokenHarness(t)
	token := h.tokenize(testCard, "card_1").Token.Number

	t.Run("a good cryptogram goes to the issuer with the card, not the token", func(t *testing.T) {
		res := h.authorize(h.pay(token, 1))
		require.Equal(t, bandeira.Approved, res.Code)
		got := h.last()
		require.Equal(t, testCard, got.PAN)
		require.Equal(t, testExpiry, got.Expiry)
		require.Nil(t, got.Cryptogram)
	})
	declines := []struct {
		name   string
		edit   func(a *bandeira.Authorization)
		reason string
	}{
		{"a forged cryptogram", func(a *bandeira.Authorization) { a.Cryptogram.Value = "0000000000000000" }, CryptogramForged},
		{"a cryptogram for another amount", func(a *bandeira.Authorization) { a.Amount++ }, CryptogramForged},
		{"a missing cryptogram", func(a *bandeira.Authorization) { a.Cryptogram = nil }, CryptogramMissing},
	}
	for i, d := range declines {
		t.Run("declines "+d.name+" with 05 and sends nothing", func(t *testing.T) {
			before, failures := h.sent(), testutil.ToFloat64(h.m.CryptogramFailures.WithLabelValues("visa", d.reason))
			a := h.pay(token, uint32(10+i))
			d.edit(&a)
			require.Equal(t, bandeira.DoNotHonour, h.authorize(a).Code)
			require.Equal(t, before, h.sent())
			require.Equal(t, failures+1, testutil.ToFloat64(h.m.CryptogramFailures.WithLabelValues("visa", d.reason)))
		})
	}
	t.Run("declines a counter used before, even in a fresh message", func(t *testing.T) {
		require.Equal(t, bandeira.Approved, h.authorize(h.pay(token, 20)).Code)
		before := h.sent()
		require.Equal(t, bandeira.DoNotHonour, h.authorize(h.pay(token, 20)).Code)
		require.Equal(t, bandeira.DoNotHonour, h.authorize(h.pay(token, 19)).Code)
		require.Equal(t, before, h.sent())
		require.Equal(t, 2.0, testutil.ToFloat64(h.m.CryptogramFailures.WithLabelValues("visa", CryptogramReplayed)))
	})
	t.Run("lets a retransmit of the same message through to the issuer, which deduplicates", func(t *testing.T) {
		a := h.pay(token, 21)
		require.Equal(t, bandeira.Approved, h.authorize(a).Code)
		require.Equal(t, bandeira.Approved, h.authorize(a).Code)
	})
	t.Run("a reversal on the token needs no cryptogram and reaches the issuer with the card", func(t *testing.T) {
		r := h.request(bandeira.MTIReversal, token, "000000", 3600)
		r.Expiry = ""
		require.Equal(t, bandeira.Approved, h.authorize(r).Code)
		require.Equal(t, testCard, h.last().PAN)
		require.Empty(t, h.last().Expiry)
	})
	t.Run("an unknown token is answered 14 and a wrong expiry 54", func(t *testing.T) {
		unknown := bandeira.PAN("4895000012345674")
		require.Equal(t, bandeira.InvalidCardNumber, h.authorize(h.pay(unknown, 1)).Code)
		a := h.pay(token, 30)
		a.Expiry = "3001"
		require.Equal(t, bandeira.ExpiredCard, h.authorize(a).Code)
	})
	t.Run("a stray cryptogram on a card number is dropped", func(t *testing.T) {
		a := h.request(bandeira.MTIFinancial, testCard, "000000", 100)
		a.Cryptogram = &bandeira.Cryptogram{Value: "0000000000000000", Counter: 1}
		require.Equal(t, bandeira.Approved, h.authorize(a).Code)
		require.Nil(t, h.last().Cryptogram)
	})
	t.Run("after a restart the token still maps and its counters are still spent", func(t *testing.T) {
		require.NoError(t, h.vault.Close())
		h.open()
		require.Equal(t, bandeira.DoNotHonour, h.authorize(h.pay(token, 21)).Code)
		require.Equal(t, bandeira.Approved, h.authorize(h.pay(token, 40)).Code)
		require.Equal(t, testCard, h.last().PAN)
	})
}

func TestTokenConfig(t *testing.T) {
	good := DefaultTokenConfig()
	require.NoError(t, good.Validate())
	bad := []struct {
		name string
		edit func(c *TokenConfig)
		want string
	}{
		{"a range outside its brand's space", func(c *TokenConfig) { c.Ranges[bandeira.Visa] = TokenRange{"52040000", "52049999"} }, "not in the visa space"},
		{"a range of 6 digits", func(c *TokenConfig) { c.Ranges[bandeira.Visa] = TokenRange{"489500", "489599"} }, "8-digit BIN"},
		{"a range upside down", func(c *TokenConfig) { c.Ranges[bandeira.Visa] = TokenRange{"48959999", "48950000"} }, "from must not be above to"},
		{"a requestor ID of 10 digits", func(c *TokenConfig) { c.Requestors[0].ID = "4000000001" }, "want 11 digits"},
		{"a repeated requestor", func(c *TokenConfig) { c.Requestors = append(c.Requestors, c.Requestors[0]) }, "repeated"},
		{"a requestor without a key file", func(c *TokenConfig) { c.Requestors[0].KeyFile = "" }, "key_file"},
	}
	for _, b := range bad {
		t.Run("rejects "+b.name, func(t *testing.T) {
			c := DefaultTokenConfig()
			b.edit(&c)
			require.ErrorContains(t, c.Validate(), b.want)
		})
	}
	t.Run("a relative key file is under the data directory", func(t *testing.T) {
		require.Equal(t, filepath.Join("/data", "tokens", "facebookpay.key"), good.Requestors[0].KeyPath("/data"))
		keys, err := good.LoadRequestorKeys(t.TempDir())
		require.NoError(t, err)
		require.Len(t, keys[testRequestor], seal.KeySize)
	})
}
