package network

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

// Tokens is a brand's token service (a token service provider), a bandeira.Authorizer in
// front of the brand's Router. It changes nothing the Router decides; it only maps
// between tokens and cards, so the issuer never sees a token and the acquirer never sees
// the card behind one (docs/wallet.md):
//
//   - Tokenization. An account verification (an 0100 of amount 0 with processing code
//     00) carrying field 48 tag TR goes to the issuer without the tag. When the issuer
//     approves it, the service issues a token for the card in the brand's token range,
//     bound to the requestor and its reference (the same reference gets the same token
//     again), keeps it in the Vault and returns it in Result.Token (field 48 tags TK and
//     TE). A TR on any other request, or from an unknown requestor, is answered 12 and 05.
//   - Token requests. A request whose PAN lies in the token range names a token: 14 if the
//     vault never issued it, 54 if it has expired or field 14 is not its expiry. A request
//     of class 1 or 2 (not an advice) must carry a cryptogram (tags TC, TA) that the
//     requestor's key makes for this message (bandeira.TokenCryptogram) with a counter
//     above the last one used; otherwise it is declined 05 and counted as missing, forged
//     or replayed. The counter is committed before the request goes on. The request then
//     goes to the Router with the card's PAN and expiry in fields 2 and 14 and without the
//     cryptogram; the response keeps the request's field 2, the token, since it echoes
//     what the service was sent. Reversals and advices need no cryptogram.
//
// Anything else passes through unchanged (a stray cryptogram is dropped). Tokens is safe
// for concurrent use.
type Tokens struct {
	brand bandeira.Brand
	rng   TokenRange
	next  bandeira.Authorizer
	vault *Vault
	keys  map[string][]byte
	log   zerolog.Logger
	m     tokenSeries
	now   func() time.Time
}

var _ bandeira.Authorizer = (*Tokens)(nil)

// tokenSeries are one brand's token metric children, resolved once.
type tokenSeries struct {
	tokenizations map[string]prometheus.Counter
	failures      map[string]prometheus.Counter
	requests      map[string]prometheus.Counter
	tokens        prometheus.Gauge
}

// NewTokens returns the token service of brand, issuing tokens in rng, keeping them in
// vault and checking cryptograms with keys (the requestors' keys by requestor ID), in
// front of next (the brand's Router). m may be nil; now nil means time.Now.
func NewTokens(brand bandeira.Brand, rng TokenRange, keys map[string][]byte, vault *Vault, next bandeira.Authorizer,
	log zerolog.Logger, m *TokenMetrics, now func() time.Time) (*Tokens, error) {
	if err := rng.validate(brand); err != nil {
		return nil, fmt.Errorf("building the %s token service: %w", brand, err)
	}
	if m == nil {
		m = NewTokenMetrics(nil)
	}
	if now == nil {
		now = time.Now
	}
	t := &Tokens{brand: brand, rng: rng, next: next, vault: vault, keys: keys, now: now,
		log: log.With().Str("component", "tokens").Str("brand", string(brand)).Logger()}
	t.m = tokenSeries{tokenizations: map[string]prometheus.Counter{}, failures: map[string]prometheus.Counter{},
		requests: map[string]prometheus.Counter{}, tokens: m.Tokens.WithLabelValues(string(brand))}
	for _, r := range []string{TokenIssued, TokenReused, TokenDeclined, TokenRefused} {
		t.m.tokenizations[r] = m.Tokenizations.WithLabelValues(string(brand), r)
	}
	for _, r := range []string{CryptogramMissing, CryptogramForged, CryptogramReplayed} {
		t.m.failures[r] = m.CryptogramFailures.WithLabelValues(string(brand), r)
	}
	for _, r := range []string{TokenDetokenized, TokenUnknown, TokenExpired, TokenDeclinedCry} {
		t.m.requests[r] = m.Requests.WithLabelValues(string(brand), r)
	}
	t.m.tokens.Set(float64(vault.Len()))
	return t, nil
}

// Authorize tokenizes, detokenizes or passes a on, as the type's documentation says. An
// error comes from the Router or the vault and means no decision was made.
func (t *Tokens) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	switch {
	case t.rng.Contains(a.PAN):
		return t.detokenize(ctx, a)
	case a.TokenRequest != nil:
		return t.tokenize(ctx, a)
	}
	a.Cryptogram = nil
	return t.next.Authorize(ctx, a)
}

// tokenize verifies the card with its issuer and issues its token on the approval.
func (t *Tokens) tokenize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	req := *a.TokenRequest
	a.TokenRequest, a.Cryptogram = nil, nil
	refuse := func(code bandeira.ResponseCode, why string) (bandeira.Result, error) {
		t.m.tokenizations[TokenRefused].Inc()
		t.log.Info().Str("requestor", req.RequestorID).Str("stan", a.STAN).Str("reason", why).Msg("token request refused")
		return bandeira.Result{Code: code, Brand: t.brand}, nil
	}
	if !a.IsAccountVerification() {
		return refuse(bandeira.InvalidTransaction, "not an account verification")
	}
	if _, ok := t.keys[req.RequestorID]; !ok {
		return refuse(bandeira.DoNotHonour, "unknown requestor")
	}
	res, err := t.next.Authorize(ctx, a)
	if err != nil || !res.Code.Approved() {
		if err == nil {
			t.m.tokenizations[TokenDeclined].Inc()
		}
		return res, err
	}
	tok, issued, err := t.vault.Issue(ctx, t.rng, a.PAN, a.Expiry, req)
	switch {
	case errors.Is(err, ErrReferenceConflict):
		return refuse(bandeira.DoNotHonour, "reference bound to another card")
	case err != nil:
		return bandeira.Result{}, fmt.Errorf("tokenizing at %s: %w", t.brand, err)
	case issued:
		t.m.tokenizations[TokenIssued].Inc()
		t.m.tokens.Set(float64(t.vault.Len()))
	default:
		t.m.tokenizations[TokenReused].Inc()
	}
	res.Token = &tok
	return res, nil
}

// detokenize checks a request on a token and sends it on with the card instead.
func (t *Tokens) detokenize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	c, ok, err := t.vault.lookup(a.PAN)
	switch {
	case err != nil:
		return bandeira.Result{}, fmt.Errorf("detokenizing at %s: %w", t.brand, err)
	case !ok:
		t.m.requests[TokenUnknown].Inc()
		return bandeira.Result{Code: bandeira.InvalidCardNumber, Brand: t.brand}, nil
	case expired(c.expiry, t.now()) || (a.Expiry != "" && a.Expiry != c.expiry):
		t.m.requests[TokenExpired].Inc()
		return bandeira.Result{Code: bandeira.ExpiredCard, Brand: t.brand}, nil
	}
	if needsCryptogram(a.MTI) {
		reason, err := t.check(ctx, &a, c)
		if err != nil {
			return bandeira.Result{}, fmt.Errorf("detokenizing at %s: %w", t.brand, err)
		}
		if reason != "" {
			t.m.failures[reason].Inc()
			t.m.requests[TokenDeclinedCry].Inc()
			t.log.Warn().Str("reason", reason).Str("mti", string(a.MTI)).Str("stan", a.STAN).
				Str("requestor", c.requestor).Msg("token payment declined for its cryptogram")
			return bandeira.Result{Code: bandeira.DoNotHonour, Brand: t.brand}, nil
		}
	}
	a.PAN, a.Cryptogram, a.TokenRequest = c.pan, nil, nil
	if a.Expiry != "" {
		a.Expiry = c.expiry
	}
	t.m.requests[TokenDetokenized].Inc()
	return t.next.Authorize(ctx, a)
}

// check validates a token payment's cryptogram and records its counter; it returns the
// failure reason, or "" when the cryptogram is good and fresh.
func (t *Tokens) check(ctx context.Context, a *bandeira.Authorization, c card) (string, error) {
	cr := a.Cryptogram
	if cr == nil {
		return CryptogramMissing, nil
	}
	key, ok := t.keys[c.requestor]
	if !ok {
		return CryptogramForged, nil // the requestor's key is gone: nothing it makes can be checked
	}
	want := bandeira.TokenCryptogram(bandeira.TokenKey(key, a.PAN), a, cr.Counter)
	if !bandeira.CryptogramEqual(want, strings.ToUpper(cr.Value)) {
		return CryptogramForged, nil
	}
	k := a.Key().Normal()
	fresh, err := t.vault.use(ctx, a.PAN, cr.Counter, k.AcquirerID+"/"+k.TerminalID+"/"+k.STAN+"/"+k.TransmissionTime)
	if err != nil || fresh {
		return "", err
	}
	return CryptogramReplayed, nil
}

// needsCryptogram reports whether a request on a token must carry a cryptogram: the
// requests of class 1 and 2 and their repeats, not advices or reversals.
func needsCryptogram(m bandeira.MTI) bool {
	return (m.Class() == '1' || m.Class() == '2') && m[2] == '0'
}
