package network

import "github.com/prometheus/client_golang/prometheus"

// The result label of bandeira_network_tokenizations_total.
const (
	TokenIssued   = "issued"   // a new token for the card
	TokenReused   = "reused"   // the token the reference already had
	TokenDeclined = "declined" // the issuer declined the account verification
	TokenRefused  = "refused"  // not an account verification, unknown requestor, or a reference bound to another card
)

// The reason label of bandeira_network_token_cryptogram_failures_total.
const (
	CryptogramMissing  = "missing"  // a token payment without TC and TA
	CryptogramForged   = "forged"   // a cryptogram the requestor's key does not make
	CryptogramReplayed = "replayed" // a counter not above the last one used
)

// The result label of bandeira_network_token_requests_total.
const (
	TokenDetokenized = "detokenized" // mapped to the card and sent to the issuer
	TokenUnknown     = "unknown"     // a number in the token range the vault never issued (14)
	TokenExpired     = "expired"     // expired, or field 14 is not the token's expiry (54)
	TokenDeclinedCry = "cryptogram"  // declined for its cryptogram (05)
)

// TokenMetrics are the token services' metrics, one set for every brand (the brand label
// tells them apart). It is safe for concurrent use.
type TokenMetrics struct {
	Tokenizations      *prometheus.CounterVec // bandeira_network_tokenizations_total{brand,result}
	CryptogramFailures *prometheus.CounterVec // bandeira_network_token_cryptogram_failures_total{brand,reason}
	Requests           *prometheus.CounterVec // bandeira_network_token_requests_total{brand,result}
	Tokens             *prometheus.GaugeVec   // bandeira_network_tokens{brand}
}

// NewTokenMetrics builds the token metrics and registers them on reg; nil leaves them
// unregistered. It panics if they are registered on reg already (a programmer error).
func NewTokenMetrics(reg prometheus.Registerer) *TokenMetrics {
	m := &TokenMetrics{
		Tokenizations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_tokenizations_total",
			Help: "Token requests (account verifications carrying field 48 tag TR), by result.",
		}, []string{"brand", "result"}),
		CryptogramFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_token_cryptogram_failures_total",
			Help: "Token payments declined 05 for their cryptogram: missing, forged or replayed.",
		}, []string{"brand", "reason"}),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_token_requests_total",
			Help: "Requests on a token number, by result (detokenized, unknown, expired, cryptogram).",
		}, []string{"brand", "result"}),
		Tokens: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_network_tokens",
			Help: "Tokens in the brand's vault.",
		}, []string{"brand"}),
	}
	if reg != nil {
		reg.MustRegister(m.Tokenizations, m.CryptogramFailures, m.Requests, m.Tokens)
	}
	return m
}
