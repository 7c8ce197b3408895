package wallet

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira/internal/metrics"
)

// Metrics are the wallet's Prometheus metrics. Labels are low-cardinality: a route is its
// pattern ("POST /v1/payments"), never an ID. It is safe for concurrent use.
type Metrics struct {
	// Requests is bandeira_wallet_requests_total{route,status}: API requests by route
	// pattern and HTTP status.
	Requests *prometheus.CounterVec
	// Duration is bandeira_wallet_request_duration_seconds{route}.
	Duration *prometheus.HistogramVec
	// Confirmations is bandeira_wallet_confirmations_total{method,result}: PIN and
	// device confirmations by result (ok, wrong, locked, expired, used, mismatch,
	// invalid).
	Confirmations *prometheus.CounterVec
	// Tokenizations is bandeira_wallet_tokenizations_total{result}: cards added
	// (approved) or refused (declined, failed).
	Tokenizations *prometheus.CounterVec
	// Payments is bandeira_wallet_payments_total{app,outcome}: catalog payments and
	// charges paid, by outcome (approved, declined, failed).
	Payments *prometheus.CounterVec
	// Transfers is bandeira_wallet_transfers_total{app,outcome}: transfers by outcome
	// (completed, declined, failed, refused: over a limit, nothing sent).
	Transfers *prometheus.CounterVec
	// Reversals is bandeira_wallet_reversals_total{result}: reversals the wallet sent
	// at once and acknowledged, or queued for store-and-forward.
	Reversals *prometheus.CounterVec
}

// NewMetrics builds the wallet's metrics and registers them on reg; nil leaves them
// unregistered. It panics if they are registered on reg already (a programmer error).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		Requests: counter("bandeira_wallet_requests_total", "Wallet API requests by route pattern and HTTP status.", "route", "status"),
		Duration: prometheus.NewHistogramVec(metrics.Latency("bandeira_wallet_request_duration_seconds",
			"Time to answer a wallet API request, by route pattern."), []string{"route"}),
		Confirmations: counter("bandeira_wallet_confirmations_total",
			"Payment confirmations by method (pin, device) and result (ok, wrong, locked, expired, used, mismatch, invalid).", "method", "result"),
		Tokenizations: counter("bandeira_wallet_tokenizations_total",
			"Cards the wallet tried to verify and tokenize, by result (approved, declined, failed).", "result"),
		Payments: counter("bandeira_wallet_payments_total",
			"Catalog payments and charges paid, by app and outcome (approved, declined, failed).", "app", "outcome"),
		Transfers: counter("bandeira_wallet_transfers_total",
			"Person-to-person transfers by app and outcome (completed, declined, failed, refused).", "app", "outcome"),
		Reversals: counter("bandeira_wallet_reversals_total",
			"Reversals the wallet sent, by result (acknowledged at once, or queued for store-and-forward).", "result"),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.Duration, m.Confirmations, m.Tokenizations, m.Payments, m.Transfers, m.Reversals)
	}
	return m
}
